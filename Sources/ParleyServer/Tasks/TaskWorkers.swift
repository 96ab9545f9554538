import Logging
import ParleyCore
import ParleyTasks
import ServiceLifecycle

/// Runs this node's share of the durable tasks, for as long as the node runs: each kind goes
/// to its worker; a kind nobody handles (posted by a newer node, say) is dead-lettered.
struct TaskWorkers: Service {
    let queue: any TaskQueue
    let eventWebhook: EventWebhook?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await queue.work { task in
                switch task.kind {
                case EventFeed.taskKind:
                    guard let eventWebhook else { return .rejected("no event webhook is configured") }
                    return await eventWebhook.deliver(task)
                default:
                    return .rejected("unknown task kind '\(task.kind)'")
                }
            }
        }
    }
}
