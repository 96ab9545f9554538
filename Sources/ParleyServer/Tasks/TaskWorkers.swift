import Logging
import ParleyCore
import ParleyTasks
import ServiceLifecycle

/// Runs this node's share of the durable tasks, for as long as the node runs: each kind goes
/// to its worker; a kind nobody handles (posted by a newer node, say) is dead-lettered.
struct TaskWorkers: Service {
    let queue: any TaskQueue
    let eventWebhook: EventWebhook?
    let push: PushDelivery?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await queue.work { task in
                switch task.kind {
                case EventFeed.taskKind:
                    guard let eventWebhook else { return .rejected("no event webhook is configured") }
                    return await eventWebhook.deliver(task)
                case PushFeed.messageKind, PushFeed.batchKind, PushFeed.emailKind:
                    guard let push else { return .rejected("no push provider is configured") }
                    return await push.run(task)
                default:
                    return .rejected("unknown task kind '\(task.kind)'")
                }
            }
        }
    }
}

/// Forgets push log entries older than `--push-log-days`, hourly, for as long as the node runs.
struct PushLogPrune: Service {
    let chat: Chat
    let days: Int
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let gone = try await chat.store.prunePushLog(before: chat.clock.now() - Int64(days) * 86_400_000)
                    if gone > 0 { logger.info("push log pruned", metadata: ["entries": "\(gone)"]) }
                } catch {
                    logger.warning("push log not pruned", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(3600))
            }
        }
    }
}
