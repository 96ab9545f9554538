import ParleyStore
import Testing

@Suite("Store: media, its references and its blobs")
struct MediaStoreTests {
    static func media(_ id: String, owner: String, key: String, sha: String, size: Int64, at time: Int64 = 1_000) -> MediaRecord {
        MediaRecord(
            id: id, ownerId: owner, kind: "image", mimeType: "image/png", name: "a.png",
            original: MediaBlobRef(key: key, sha256: sha, size: size, mimeType: "image/png", width: 4, height: 3),
            sourceSha256: "source-" + sha, uploadedSize: size, width: 4, height: 3,
            thumbnail: MediaBlobRef(key: key + "-t", sha256: sha + "-t", size: 10, mimeType: "image/webp", width: 4, height: 3),
            createdAt: time)
    }

    @Test(arguments: Engine.allCases)
    func blobsAreClaimedOnceAndDoomedBlobsAreNeverHandedOut(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            #expect(try await store.claimMediaBlob(sha256: "s1", proposedKey: "k1", size: 5, at: 1_000) == "k1")
            #expect(try await store.claimMediaBlob(sha256: "s1", proposedKey: "k2", size: 5, at: 2_000) == "k1")
            // Nothing uses it, and it was last touched at 2,000: doomed once 2,000 is an hour ago.
            let early = try await store.collectMedia(unreferencedBefore: 0, untouchedBefore: 2_000, at: 3_000, limit: 10)
            #expect(early.doomedKeys.isEmpty)
            let late = try await store.collectMedia(unreferencedBefore: 0, untouchedBefore: 2_001, at: 3_000, limit: 10)
            #expect(late.doomedKeys == ["k1"])
            #expect(try await store.claimMediaBlob(sha256: "s1", proposedKey: "k3", size: 5, at: 4_000) == "k3")
            try await store.forgetMediaBlobs(keys: ["k1"])
            let after = try await store.collectMedia(unreferencedBefore: 0, untouchedBefore: 3_000, at: 5_000, limit: 10)
            #expect(after.doomedKeys.isEmpty, "k3 was touched at 4,000")
        }
    }

    @Test(arguments: Engine.allCases)
    func quotaReadersCollectionAndTakedown(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            for id in ["1", "2", "3"] { try await store.createUser(Fixture.user(id)) }
            let kept = Self.media("m_kept", owner: "1", key: "aa/k", sha: "s", size: 600)
            #expect(try await store.saveMedia(kept, quota: 1_000))
            #expect(!(try await store.saveMedia(Self.media("m_over", owner: "1", key: "aa/o", sha: "o", size: 500), quota: 1_000)))
            #expect(try await store.mediaUsage(ownerId: "1") == 600)
            #expect(try await store.media(id: "m_kept") == kept)
            #expect(try await store.media(sourceSha256: "source-s") == kept)

            #expect(!(try await store.canReadMedia(id: "m_kept", userId: "2")))
            var message = Fixture.message(from: "1", to: "2", localId: "pic")
            message.mediaIds = ["m_kept", "m_gone"]
            _ = try await store.appendMessage(message)
            #expect(try await store.canReadMedia(id: "m_kept", userId: "2"))
            #expect(!(try await store.canReadMedia(id: "m_kept", userId: "3")))
            #expect(!(try await store.canReadMedia(id: "m_gone", userId: "2")), "no reference to media that does not exist")

            let lone = Self.media("m_lone", owner: "3", key: "bb/l", sha: "l", size: 100)
            #expect(try await store.saveMedia(lone, quota: 1_000))
            let pass = try await store.collectMedia(unreferencedBefore: 2_000, untouchedBefore: 0, at: 9_000, limit: 10)
            #expect(pass.removedMedia == 1)
            #expect(try await store.media(id: "m_lone") == nil)
            #expect(try await store.media(id: "m_kept") != nil)

            #expect(try await store.removeMedia(id: "m_kept"))
            #expect(!(try await store.removeMedia(id: "m_kept")))
            #expect(!(try await store.canReadMedia(id: "m_kept", userId: "2")))
            #expect(try await store.mediaUsage(ownerId: "1") == 0)
        }
    }
}
