import ParleyStore

extension PostgresStore {
    public func claimMediaBlob(sha256: String, proposedKey: String, size: Int64, at: Int64) async throws -> String {
        try await write { db in
            // The partial unique index holds one live blob per sha256. A collector dooming the
            // same row waits for this one's lock and then sees it touched (and leaves it).
            try await db.sql.first(
                """
                INSERT INTO media_blobs (key, sha256, size, touched_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (sha256) WHERE doomed_at IS NULL DO UPDATE SET touched_at = EXCLUDED.touched_at
                RETURNING key
                """,
                [.text(proposedKey), .text(sha256), .integer(size), .integer(at)], { try $0.text(0) }) ?? proposedKey
        }
    }

    public func saveMedia(_ media: MediaRecord, quota: Int64) async throws -> Bool {
        let details = try MediaDetails.encode(media)
        return try await write { db in
            // One user's uploads are ordered by a lock on the user's row, so the sum is exact.
            _ = try await db.sql.first("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [.text(media.ownerId)], { _ in true })
            let used = try await db.sql.first(
                "SELECT COALESCE(SUM(uploaded_size), 0)::BIGINT FROM media WHERE owner_id = $1", [.text(media.ownerId)],
                { try $0.int(0) }) ?? 0
            if used + media.uploadedSize > quota { return false }
            try await db.sql.run(
                """
                INSERT INTO media (id, owner_id, source_sha256, uploaded_size, blob_key, thumbnail_key, display_key, details, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                [.text(media.id), .text(media.ownerId), .text(media.sourceSha256), .integer(media.uploadedSize),
                 .text(media.original.key), PGValue(media.thumbnail?.key), PGValue(media.display?.key), .text(details),
                 .integer(media.createdAt)])
            return true
        }
    }

    public func media(id: String) async throws -> MediaRecord? {
        try await read {
            try await $0.first("SELECT details FROM media WHERE id = $1", [.text(id)], { MediaDetails.decode(try $0.text(0)) }) ?? nil
        }
    }

    public func media(sourceSha256: String) async throws -> MediaRecord? {
        try await read {
            try await $0.first(
                "SELECT details FROM media WHERE source_sha256 = $1 ORDER BY created_at DESC LIMIT 1", [.text(sourceSha256)],
                { MediaDetails.decode(try $0.text(0)) }) ?? nil
        }
    }

    public func mediaUsage(ownerId: String) async throws -> Int64 {
        try await read {
            try await $0.first(
                "SELECT COALESCE(SUM(uploaded_size), 0)::BIGINT FROM media WHERE owner_id = $1", [.text(ownerId)], { try $0.int(0) }) ?? 0
        }
    }

    public func canReadMedia(id: String, userId: String) async throws -> Bool {
        try await read {
            try await $0.first(
                """
                SELECT 1 FROM media_refs r JOIN members m ON m.conversation_id = r.conversation_id AND m.user_id = $1
                WHERE r.media_id = $2 LIMIT 1
                """,
                [.text(userId), .text(id)], { _ in true }) ?? false
        }
    }

    public func collectMedia(unreferencedBefore: Int64, untouchedBefore: Int64, at: Int64, limit: Int) async throws -> MediaCollection {
        try await write { db in
            let removed = try await db.sql.all(
                """
                DELETE FROM media WHERE id IN (
                    SELECT id FROM media WHERE created_at < $1
                    AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.media_id = media.id) LIMIT $2 FOR UPDATE SKIP LOCKED)
                RETURNING id
                """,
                [.integer(unreferencedBefore), .integer(Int64(limit))], { try $0.text(0) })
            _ = try await db.sql.all(
                """
                UPDATE media_blobs SET doomed_at = $1 WHERE key IN (
                    SELECT key FROM media_blobs b WHERE b.doomed_at IS NULL AND b.touched_at < $2
                    AND NOT EXISTS (SELECT 1 FROM media WHERE blob_key = b.key)
                    AND NOT EXISTS (SELECT 1 FROM media WHERE thumbnail_key = b.key)
                    AND NOT EXISTS (SELECT 1 FROM media WHERE display_key = b.key) LIMIT $3 FOR UPDATE SKIP LOCKED)
                AND doomed_at IS NULL AND touched_at < $2
                RETURNING key
                """,
                [.integer(at), .integer(untouchedBefore), .integer(Int64(limit))], { try $0.text(0) })
            let doomed = try await db.sql.all(
                "SELECT key FROM media_blobs WHERE doomed_at IS NOT NULL ORDER BY doomed_at LIMIT $1", [.integer(Int64(limit))],
                { try $0.text(0) })
            return MediaCollection(removedMedia: removed.count, doomedKeys: doomed)
        }
    }

    public func forgetMediaBlobs(keys: [String]) async throws {
        if keys.isEmpty { return }
        try await write { db in
            try await db.sql.run("DELETE FROM media_blobs WHERE key = ANY($1) AND doomed_at IS NOT NULL", [.texts(keys)])
        }
    }

    public func removeMedia(id: String) async throws -> Bool {
        try await write { db in
            try await db.sql.run("DELETE FROM media_refs WHERE media_id = $1", [.text(id)])
            return try await db.sql.all("DELETE FROM media WHERE id = $1 RETURNING id", [.text(id)], { try $0.text(0) }).count > 0
        }
    }
}
