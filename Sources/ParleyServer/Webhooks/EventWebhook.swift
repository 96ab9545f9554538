import Foundation
import ParleyCore
import ParleyPush
import ParleyTasks

/// Posts queued message events to the operator's endpoint (`--event-webhook-url`): the task's
/// JSON as the body, `Parley-Event-Id` (the same on every retry, for deduplication) and
/// `Parley-Attempt` as headers, and `Parley-Signature` when `--event-webhook-secret` is set. A 2xx answer takes the event; anything else, or no answer in
/// time, is a failure retried with backoff, then dead-lettered.
struct EventWebhook: Sendable {
    let call: WebhookCall
    /// Signs each post (`Parley-Signature`, as the push webhook does) when set.
    var secret: String?

    func deliver(_ task: WorkTask) async -> TaskOutcome {
        var headers = ["Parley-Event-Id": task.id, "Parley-Attempt": String(task.attempt)]
        if let secret { headers["Parley-Signature"] = WebhookSignature.header(secret: secret, body: Array(task.payload.utf8)) }
        do {
            let (status, _) = try await call.post(Data(task.payload.utf8), headers: headers)
            return (200..<300).contains(status) ? .done : .failed("event webhook answered \(status)")
        } catch {
            return .failed("\(error)")
        }
    }
}
