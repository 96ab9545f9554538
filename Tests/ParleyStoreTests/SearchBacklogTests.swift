import Foundation
@testable import ParleySQLite
import ParleyStore
import Testing

/// The embedded store indexes search texts after the send's commit (`SearchIndexer`): a
/// message must be found from its ack on, never twice, and never again once recalled or
/// edited, whether the indexer has run yet or not, and across a restart.
@Suite struct SearchBacklogTests {
    private func searchable(_ message: NewMessage, _ text: String) -> NewMessage {
        var message = message
        message.searchText = text
        return message
    }

    /// A store whose indexer does not run on its own, so the test decides when texts move.
    private func withHeldIndexer(_ body: (SQLiteStore, String) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "parley-search-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: directory + "/parley.sqlite", durability: .normal, searchIndexInterval: 3_600)
        defer { store.close() }
        try await body(store, directory + "/parley.sqlite")
    }

    private func found(_ store: SQLiteStore, _ text: String, by user: String = "2") async throws -> [String] {
        try await store.searchMessages(MessageSearch(userId: user, text: text, limit: 50)).map(\.message.messageId)
    }

    @Test func aMessageIsFoundBeforeAndAfterIndexingExactlyOnce() async throws {
        try await withHeldIndexer { store, _ in
            var ids: [String] = []
            for n in 0..<5 {
                let message = searchable(Fixture.message(from: "1", to: "2", localId: "l\(n)", at: 2_000 + Int64(n)), "晚上 dinner \(n)")
                ids.append(try await store.appendMessage(message).message.messageId)
            }
            #expect(try await store.searchBacklogCount() == 5)
            #expect(try await found(store, "dinner") == ids.reversed(), "found from the backlog, newest first")
            let moved = try #require(store.indexSearchBacklog())
            #expect(moved.moved == 5 && moved.left == 0)
            #expect(try await store.searchBacklogCount() == 0)
            #expect(try await found(store, "晚上") == ids.reversed(), "found from the index, once each")
            // Half indexed, half waiting: still each once, in order.
            let later = try await store.appendMessage(searchable(Fixture.message(from: "2", to: "1", localId: "m", at: 3_000), "dinner later")).message
            #expect(try await found(store, "dinner") == [later.messageId] + ids.reversed())
            #expect(try await found(store, "dinner", by: "9").isEmpty, "only one's own conversations")
        }
    }

    @Test func recallAndEditWhileWaitingNeverResurfaceTheOldText() async throws {
        try await withHeldIndexer { store, _ in
            let recalled = try await store.appendMessage(searchable(Fixture.message(from: "1", to: "2", localId: "r"), "secret plan")).message
            let edited = try await store.appendMessage(searchable(Fixture.message(from: "1", to: "2", localId: "e"), "old wording")).message
            _ = try await store.recallMessage(NewRecall(conversationId: "p_1_2", messageId: recalled.messageId, eventId: "ev-r", recalledBy: "1", createdAt: 5_000))
            _ = try await store.editMessage(NewEdit(
                conversationId: "p_1_2", messageId: edited.messageId, eventId: "ev-e", editedBy: "1",
                content: #"{"text":"new wording"}"#, searchText: "new wording", createdAt: 5_001))
            #expect(try await found(store, "secret").isEmpty)
            #expect(try await found(store, "old wording").isEmpty)
            #expect(try await found(store, "new wording") == [edited.messageId])
            _ = store.indexSearchBacklog()
            #expect(try await found(store, "secret").isEmpty, "the indexer does not bring a recalled text back")
            #expect(try await found(store, "old wording").isEmpty)
            #expect(try await found(store, "new wording") == [edited.messageId])
        }
    }

    @Test func theBacklogSurvivesARestartAndIsIndexedAfterIt() async throws {
        let directory = NSTemporaryDirectory() + "parley-search-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/parley.sqlite"
        let first = try SQLiteStore(path: path, durability: .full, searchIndexInterval: 3_600)
        let id = try await first.appendMessage(searchable(Fixture.message(from: "1", to: "2", localId: "x"), "before the crash")).message.messageId
        first.close()
        let second = try SQLiteStore(path: path, durability: .full, searchIndexInterval: 0.05)
        defer { second.close() }
        #expect(try await found(second, "crash") == [id])
        // The indexer of the new process moves it: wait for that (bounded), then look again.
        let deadline = ContinuousClock.now + .seconds(10)
        while try await second.searchBacklogCount() > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await second.searchBacklogCount() == 0)
        #expect(second.searchIndexer.indexedRows == 1)
        #expect(try await found(second, "crash") == [id])
    }
}
