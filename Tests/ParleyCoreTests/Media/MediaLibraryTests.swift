import Foundation
@testable import ParleyCore
import ParleyProtocol
import Testing

@Suite("Media: storage, access, collection")
struct MediaLibraryTests {
    @Test func theSameBytesAreStoredOnceUnderTwoIds() async throws {
        let bed = try TestBed()
        let storage = MemoryMediaStorage()
        let library = bed.mediaLibrary(storage: storage)
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        let bytes = Array("the same bytes, twice".utf8)
        let first = try await library.accept(try bed.spooled(bytes), declaredType: "text/plain", name: "a.txt", by: alice)
        let second = try await library.accept(try bed.spooled(bytes), declaredType: "text/plain", name: "b.txt", by: bob)
        #expect(first.mediaId != second.mediaId)
        #expect(first.sha256 == second.sha256 && first.kind == "file" && first.mimeType == "application/octet-stream")
        #expect(storage.keys.count == 1 && storage.stored == 1)
    }

    @Test func whatNoMessageReferencesGoesAfterADayWithItsBytes() async throws {
        let bed = try TestBed()
        let storage = MemoryMediaStorage()
        let library = bed.mediaLibrary(storage: storage)
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        let kept = try await library.accept(try bed.spooled(pngBytes), declaredType: "image/png", name: nil, by: alice)
        let dropped = try await library.accept(try bed.spooled(Array("never sent".utf8)), declaredType: nil, name: nil, by: alice)
        _ = try await bed.chat.send(
            SendMessage(conversationType: .private, receiverId: bob.userId, contentType: "image",
                        content: .object(["mediaId": .string(kept.mediaId)]), localId: "pic"), from: alice)

        bed.clock.advance(ms: 86_400_000 - 1)
        #expect(try await library.collect().media == 0, "not before its day is up")
        bed.clock.advance(ms: 2)
        let pass = try await library.collect()
        #expect(pass.media == 1 && pass.blobs == 1)
        #expect(try await bed.store.media(id: dropped.mediaId) == nil)
        #expect(try await bed.store.media(id: kept.mediaId) != nil)
        #expect(storage.keys.count == 1)
        #expect(try await library.collect() == (0, 0))
    }

    @Test func aRecallTakesBackTheAccessAndFreesTheBytes() async throws {
        let bed = try TestBed()
        let storage = MemoryMediaStorage()
        let library = bed.mediaLibrary(storage: storage)
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        let picture = try await library.accept(try bed.spooled(pngBytes), declaredType: "image/png", name: nil, by: alice)
        await #expect(throws: ChatError.notFound("media not found")) { try await library.open(picture.mediaId, variant: .original, for: bob) }
        let sent = try await bed.chat.send(
            SendMessage(conversationType: .private, receiverId: bob.userId, contentType: "image",
                        content: .object(["mediaId": .string(picture.mediaId)]), localId: "pic"), from: alice)
        let (_, blob) = try await library.open(picture.mediaId, variant: .original, for: bob)
        #expect(blob.sha256 == picture.sha256)
        let history = try await bed.chat.history(HistoryRequest(conversationId: sent.conversationId, afterSeq: 0), for: bob)
        #expect(history.messages.first?.content?["url"] == .string("/v1/media/\(picture.mediaId)"))
        #expect(history.messages.first?.content?["width"] == .number(4))

        _ = try await bed.chat.recall(RecallRequest(conversationId: sent.conversationId, messageId: sent.messageId), by: alice)
        await #expect(throws: ChatError.self) { try await library.open(picture.mediaId, variant: .original, for: bob) }
        bed.clock.advance(ms: 86_400_001)
        #expect(try await library.collect() == (1, 1))
        #expect(storage.keys.isEmpty)
    }

    /// 40 uploads at once against a quota that fits 5: the check is in the store's transaction.
    @Test func theQuotaHoldsWhenManyUploadsArriveAtOnce() async throws {
        let bed = try TestBed()
        var limits = MediaLimits()
        limits.quota = 5 * 1_000
        let library = bed.mediaLibrary(limits: limits)
        let alice = try await bed.user("alice")
        let uploads = try (0..<40).map { index in try bed.spooled(Array(repeating: UInt8(index), count: 1_000)) }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for upload in uploads {
                group.addTask { (try? await library.accept(upload, declaredType: nil, name: nil, by: alice)) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 5)
        #expect(try await bed.store.mediaUsage(ownerId: alice.userId) == 5_000)
    }

    @Test func onlyTheUploaderOrAReaderMaySendMedia() async throws {
        let bed = try TestBed()
        let library = bed.mediaLibrary()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob"), carol = try await bed.user("carol")
        let picture = try await library.accept(try bed.spooled(pngBytes), declaredType: "image/png", name: nil, by: alice)
        let content = JSONValue.object(["mediaId": .string(picture.mediaId)])
        await #expect(throws: ChatError.notFound("media '\(picture.mediaId)' not found")) {
            try await bed.chat.send(
                SendMessage(conversationType: .private, receiverId: alice.userId, contentType: "image", content: content, localId: "x"), from: carol)
        }
        _ = try await bed.chat.send(
            SendMessage(conversationType: .private, receiverId: bob.userId, contentType: "image", content: content, localId: "a"), from: alice)
        // Bob can read it now, so he may pass it on; as a video it is refused.
        _ = try await bed.chat.send(
            SendMessage(conversationType: .private, receiverId: carol.userId, contentType: "file", content: content, localId: "b"), from: bob)
        #expect(try await library.open(picture.mediaId, variant: .original, for: carol).1.sha256 == picture.sha256)
        await #expect(throws: ChatError.self) {
            try await bed.chat.send(
                SendMessage(conversationType: .private, receiverId: carol.userId, contentType: "video", content: content, localId: "c"), from: bob)
        }
    }

    /// A blob the collector doomed is never handed out again, even for the same bytes: a new
    /// upload stores them afresh under a new key.
    @Test func aDoomedBlobIsNotReused() async throws {
        let bed = try TestBed()
        let storage = MemoryMediaStorage()
        let library = bed.mediaLibrary(storage: storage)
        let alice = try await bed.user("alice")
        let bytes = Array("short-lived".utf8)
        _ = try await library.accept(try bed.spooled(bytes), declaredType: nil, name: nil, by: alice)
        let oldKeys = storage.keys
        bed.clock.advance(ms: 86_400_001)
        // Doomed but not yet deleted: what a second node's collector would be in the middle of.
        _ = try await bed.store.collectMedia(
            unreferencedBefore: bed.clock.wall.now() - 86_400_000, untouchedBefore: bed.clock.wall.now() - 3_600_000,
            at: bed.clock.wall.now(), limit: 10)
        let again = try await library.accept(try bed.spooled(bytes), declaredType: nil, name: nil, by: alice)
        #expect(storage.keys.count == 2 && storage.keys.isSuperset(of: oldKeys))
        _ = try await library.collect()
        #expect(storage.keys.count == 1 && storage.keys.isDisjoint(with: oldKeys))
        #expect(try await library.open(again.mediaId, variant: .original, for: alice).1.sha256 == again.sha256)
    }
}
