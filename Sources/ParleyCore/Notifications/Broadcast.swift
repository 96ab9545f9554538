import ParleyProtocol
import ParleyStore

extension Chat {
    /// A system notification (`system`) from the operator to listed users, or to everyone,
    /// persisted in each inbox. Returns how many users it was addressed to.
    public func broadcast(title: String, content: String, to userIds: [String]?, priority: String) async throws -> Int {
        let title = try boundedText(title, named: "title", max: 200)
        let content = try boundedText(content, named: "content", max: 4_000)
        guard ["high", "normal", "low"].contains(priority) else { throw ChatError.badRequest("'priority' must be high, normal or low") }
        let notice = Notice(type: NotificationType.system, title: title, content: content, actionData: [:], priority: priority)
        if let userIds {
            let users = try await existingUsers(userIds, named: "userIds")
            await deliver(try await store.appendNotifications(address(notice, to: users)))
            return users.count
        }
        var after = ""
        var count = 0
        while true {
            let page = try await store.userIds(after: after, limit: 1_000)
            guard let last = page.last else { return count }
            await deliver(try await store.appendNotifications(address(notice, to: page)))
            count += page.count
            after = last
        }
    }
}
