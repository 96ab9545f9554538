import Foundation
import ParleyCore
import ParleyProtocol

/// The pre-send webhook: `POST <url>` with `{"event": "message.before_send", "message": {…}}`;
/// the answer `{"action": "allow"}`, `{"action": "rewrite", "content": {…}}` or
/// `{"action": "reject", "reason": "…"}` decides. No answer within the timeout, a non-2xx
/// status or an unreadable body count as a failure (allowed when `failOpen`).
struct WebhookSendHook: SendHook {
    let call: WebhookCall
    let failOpen: Bool

    private struct Body: Encodable {
        var event = "message.before_send"
        var message: PendingMessage
    }

    private struct Answer: Decodable {
        var action: String
        var content: JSONValue?
        var reason: String?
    }

    func review(_ message: PendingMessage) async throws -> SendDecision {
        let (status, data) = try await call.post(Data(FrameCoder.encode(Body(message: message))))
        guard (200..<300).contains(status) else {
            throw WebhookCall.Failure(description: "webhook answered \(status)")
        }
        let answer = try FrameCoder.decode(Answer.self, from: data)
        switch answer.action {
        case "allow": return .allow
        case "reject": return .reject(reason: answer.reason ?? "rejected by policy")
        case "rewrite":
            guard let content = answer.content else { throw WebhookCall.Failure(description: "rewrite without content") }
            return .rewrite(content)
        default: throw WebhookCall.Failure(description: "unknown action '\(answer.action.prefix(32))'")
        }
    }
}
