import Foundation
import ParleyCore
import ParleyTasks

/// Posts queued message events to the operator's endpoint (`--event-webhook-url`): the task's
/// JSON as the body, `Parley-Event-Id` (the same on every retry, for deduplication) and
/// `Parley-Attempt` as headers. A 2xx answer takes the event; anything else, or no answer in
/// time, is a failure retried with backoff, then dead-lettered.
struct EventWebhook: Sendable {
    let call: WebhookCall

    func deliver(_ task: WorkTask) async -> TaskOutcome {
        do {
            let (status, _) = try await call.post(
                Data(task.payload.utf8), headers: ["Parley-Event-Id": task.id, "Parley-Attempt": String(task.attempt)])
            return (200..<300).contains(status) ? .done : .failed("event webhook answered \(status)")
        } catch {
            return .failed("\(error)")
        }
    }
}
