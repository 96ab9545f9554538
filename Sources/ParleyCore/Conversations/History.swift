import ParleyProtocol
import ParleyStore

extension Chat {
    /// A page of a conversation, ascending seq. Only members may read it.
    public func history(_ request: HistoryRequest, for caller: Caller) async throws -> HistoryResponse {
        try requireIdentifier(request.conversationId, named: "conversationId")
        let limit = try pageSize(request.limit, default: limits.historyPageDefault, max: limits.historyPageMax)
        if request.afterSeq != nil, request.beforeSeq != nil {
            throw ChatError.badRequest("give 'afterSeq' or 'beforeSeq', not both")
        }
        if let seq = request.afterSeq ?? request.beforeSeq, seq < 0 {
            throw ChatError.badRequest("seq bounds must not be negative")
        }
        do {
            _ = try await requireMembership(caller, in: request.conversationId)
        } catch let error as ChatError where error.code == .notFound {
            // A private chat with someone you have not written to yet is empty, not missing.
            return HistoryResponse(messages: [], hasMore: false)
        }
        let page: HistoryPage = request.afterSeq.map { .after($0, limit: limit) } ?? .before(request.beforeSeq, limit: limit)
        let result = try await store.messages(conversationId: request.conversationId, page: page)
        var messages = try await decorate(try await payloads(result.messages), records: result.messages, for: caller)
        if ConversationID.type(of: request.conversationId) == .group, !messages.isEmpty {
            let readers = ReadCursors(try await store.members(conversationId: request.conversationId))
            for index in messages.indices where !result.messages[index].isEvent {
                messages[index].readCount = Int64(readers.count(readingUpTo: messages[index].seq, except: messages[index].senderId))
            }
        }
        return HistoryResponse(messages: messages, hasMore: result.hasMore)
    }

    /// A requested page size, checked against its bounds.
    func pageSize(_ requested: Int?, default defaultSize: Int, max maxSize: Int) throws -> Int {
        guard let requested else { return defaultSize }
        guard (1...maxSize).contains(requested) else {
            throw ChatError.badRequest("'limit' must be between 1 and \(maxSize)")
        }
        return requested
    }
}
