import NIOCore

/// Runs Swift tasks on an event loop.
///
/// A session's frames are handled by a task that prefers its channel's loop: the frame is read,
/// decoded, handed to the store's writer and completed on the same thread, and the ack and
/// the deliveries to sessions of that loop are written in the same loop tick. Without it a
/// send crossed to the cooperative pool and back (two more thread wake-ups per message, which
/// on a busy core cost more than the work itself; docs/benchmarks.md §10).
final class LoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
