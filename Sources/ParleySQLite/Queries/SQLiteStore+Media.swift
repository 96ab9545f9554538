import Foundation
import ParleyStore

extension SQLiteStore {
    public func claimMediaBlob(sha256: String, proposedKey: String, size: Int64, at: Int64) async throws -> String {
        try await write { db in
            // The partial unique index holds one live blob per sha256: an upsert on it either
            // touches that one or records the proposed key.
            try db.first(
                """
                INSERT INTO media_blobs (key, sha256, size, touched_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (sha256) WHERE doomed_at IS NULL DO UPDATE SET touched_at = excluded.touched_at
                RETURNING key
                """,
                [.text(proposedKey), .text(sha256), .integer(size), .integer(at)], { $0.text(0) }) ?? proposedKey
        }
    }

    public func saveMedia(_ media: MediaRecord, quota: Int64) async throws -> Bool {
        let details = try MediaDetails.encode(media)
        return try await write { db in
            let used = try db.first(
                "SELECT COALESCE(SUM(uploaded_size), 0) FROM media WHERE owner_id = ?", [.text(media.ownerId)], { $0.int(0) }) ?? 0
            if used + media.uploadedSize > quota { return false }
            try db.run(
                """
                INSERT INTO media (id, owner_id, source_sha256, uploaded_size, blob_key, thumbnail_key, display_key, details, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(media.id), .text(media.ownerId), .text(media.sourceSha256), .integer(media.uploadedSize),
                 .text(media.original.key), SQLValue(media.thumbnail?.key), SQLValue(media.display?.key), .text(details),
                 .integer(media.createdAt)])
            return true
        }
    }

    public func media(id: String) async throws -> MediaRecord? {
        try await read { db in
            try db.first("SELECT details FROM media WHERE id = ?", [.text(id)], { MediaDetails.decode($0.text(0)) }) ?? nil
        }
    }

    public func media(sourceSha256: String) async throws -> MediaRecord? {
        try await read { db in
            try db.first(
                "SELECT details FROM media WHERE source_sha256 = ? ORDER BY created_at DESC LIMIT 1", [.text(sourceSha256)],
                { MediaDetails.decode($0.text(0)) }) ?? nil
        }
    }

    public func mediaUsage(ownerId: String) async throws -> Int64 {
        try await read { db in
            try db.first("SELECT COALESCE(SUM(uploaded_size), 0) FROM media WHERE owner_id = ?", [.text(ownerId)], { $0.int(0) }) ?? 0
        }
    }

    public func canReadMedia(id: String, userId: String) async throws -> Bool {
        try await read { db in
            try db.first(
                """
                SELECT 1 FROM media_refs r JOIN members m ON m.conversation_id = r.conversation_id AND m.user_id = ?
                WHERE r.media_id = ? LIMIT 1
                """,
                [.text(userId), .text(id)], { _ in true }) ?? false
        }
    }

    public func collectMedia(unreferencedBefore: Int64, untouchedBefore: Int64, at: Int64, limit: Int) async throws -> MediaCollection {
        try await write { db in
            try db.run(
                """
                DELETE FROM media WHERE id IN (
                    SELECT id FROM media WHERE created_at < ?
                    AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.media_id = media.id) LIMIT ?)
                """,
                [.integer(unreferencedBefore), .integer(Int64(limit))])
            let removed = db.changes
            try db.run(
                """
                UPDATE media_blobs SET doomed_at = ? WHERE key IN (
                    SELECT key FROM media_blobs b WHERE b.doomed_at IS NULL AND b.touched_at < ?
                    AND NOT EXISTS (SELECT 1 FROM media WHERE blob_key = b.key)
                    AND NOT EXISTS (SELECT 1 FROM media WHERE thumbnail_key = b.key)
                    AND NOT EXISTS (SELECT 1 FROM media WHERE display_key = b.key) LIMIT ?)
                """,
                [.integer(at), .integer(untouchedBefore), .integer(Int64(limit))])
            let doomed = try db.all(
                "SELECT key FROM media_blobs WHERE doomed_at IS NOT NULL ORDER BY doomed_at LIMIT ?", [.integer(Int64(limit))],
                { $0.text(0) })
            return MediaCollection(removedMedia: removed, doomedKeys: doomed)
        }
    }

    public func forgetMediaBlobs(keys: [String]) async throws {
        if keys.isEmpty { return }
        try await write { db in
            for key in keys { try db.run("DELETE FROM media_blobs WHERE key = ? AND doomed_at IS NOT NULL", [.text(key)]) }
        }
    }

    public func removeMedia(id: String) async throws -> Bool {
        try await write { db in
            try db.run("DELETE FROM media_refs WHERE media_id = ?", [.text(id)])
            try db.run("DELETE FROM media WHERE id = ?", [.text(id)])
            return db.changes > 0
        }
    }
}
