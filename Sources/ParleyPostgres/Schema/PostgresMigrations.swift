import Foundation
import Logging
import ParleyStore

/// The PostgreSQL schema, as ordered migrations. A released migration never changes; new ones
/// are appended. Applied at start (and by `parley migrate`) under an advisory lock, so nodes
/// starting together apply each once; a database whose schema is newer than this binary is
/// refused.
enum PostgresMigrations {
    static let all: [(version: Int, sql: String)] = [
        (1, """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            display_name TEXT NOT NULL,
            avatar TEXT,
            password_hash TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            friends_only BOOLEAN NOT NULL DEFAULT FALSE,
            last_seen BIGINT
        );
        CREATE UNIQUE INDEX users_username ON users (lower(username));
        CREATE TABLE auth_sessions (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            refresh_hash TEXT NOT NULL,
            expires_at BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            revoked_at BIGINT
        );
        CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            last_seq BIGINT NOT NULL DEFAULT 0,
            version BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE members (
            conversation_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            delivered_seq BIGINT NOT NULL DEFAULT 0,
            read_seq BIGINT NOT NULL DEFAULT 0,
            pinned BOOLEAN NOT NULL DEFAULT FALSE,
            muted BOOLEAN NOT NULL DEFAULT FALSE,
            hidden_seq BIGINT,
            role TEXT NOT NULL DEFAULT 'member',
            muted_until BIGINT NOT NULL DEFAULT 0,
            version BIGINT NOT NULL,
            joined_at BIGINT NOT NULL,
            PRIMARY KEY (conversation_id, user_id)
        );
        CREATE INDEX members_user ON members (user_id);
        -- Messages and events, one partition per month of created_at (epoch ms). Lookups by id
        -- and the dedupe of (sender, localId) need uniqueness across partitions, which a
        -- partitioned table cannot give: they have their own small tables.
        CREATE TABLE messages (
            conversation_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            message_id TEXT NOT NULL,
            sender_id TEXT NOT NULL,
            local_id TEXT,
            content_type TEXT NOT NULL,
            content TEXT,
            at_users TEXT,
            reply_to TEXT,
            created_at BIGINT NOT NULL,
            recalled BOOLEAN NOT NULL DEFAULT FALSE,
            is_event BOOLEAN NOT NULL DEFAULT FALSE,
            recall_event_id TEXT,
            PRIMARY KEY (conversation_id, seq, created_at)
        ) PARTITION BY RANGE (created_at);
        CREATE TABLE messages_default PARTITION OF messages DEFAULT;
        CREATE TABLE message_refs (
            message_id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            created_at BIGINT NOT NULL
        );
        CREATE TABLE message_dedupe (
            sender_id TEXT NOT NULL,
            local_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            PRIMARY KEY (sender_id, local_id)
        );
        CREATE TABLE mentions (
            conversation_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            PRIMARY KEY (conversation_id, user_id, seq)
        );
        CREATE TABLE notifications (
            user_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            title TEXT NOT NULL,
            content TEXT NOT NULL,
            action_type TEXT NOT NULL,
            action_data TEXT NOT NULL,
            priority TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, seq)
        );
        CREATE TABLE friendships (
            user_id TEXT NOT NULL,
            friend_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, friend_id)
        );
        CREATE TABLE blocks (
            user_id TEXT NOT NULL,
            blocked_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, blocked_id)
        );
        CREATE INDEX blocks_blocked ON blocks (blocked_id);
        CREATE TABLE requests (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            from_id TEXT NOT NULL,
            target_id TEXT NOT NULL,
            message TEXT NOT NULL,
            status TEXT NOT NULL,
            decided_by TEXT,
            created_at BIGINT NOT NULL,
            decided_at BIGINT
        );
        CREATE UNIQUE INDEX requests_pending ON requests (kind, from_id, target_id) WHERE status = 'pending';
        CREATE INDEX requests_target ON requests (target_id, status);
        CREATE INDEX requests_from ON requests (from_id, status);
        CREATE TABLE groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            announcement TEXT NOT NULL DEFAULT '',
            mute_all BOOLEAN NOT NULL DEFAULT FALSE,
            join_policy TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            dismissed_at BIGINT
        );
        -- The store-wide change counter behind sync cursors (see PostgresWriter).
        CREATE TABLE parley_clock (id INT PRIMARY KEY, version BIGINT NOT NULL);
        INSERT INTO parley_clock VALUES (1, 0);
        -- One round trip per send: dedupe, seq, the message, its reference, mentions and the
        -- sender's cursor, in the caller's transaction.
        CREATE FUNCTION parley_append_message(
            p_conversation TEXT, p_private BOOLEAN, p_user_a TEXT, p_user_b TEXT, p_message_id TEXT,
            p_sender TEXT, p_local TEXT, p_type TEXT, p_content TEXT, p_at_users TEXT, p_mentions TEXT[],
            p_reply_to TEXT, p_created BIGINT, p_version BIGINT)
        RETURNS TABLE (out_seq BIGINT, out_message_id TEXT, out_duplicate BOOLEAN) AS $$
        DECLARE
            v_existing TEXT;
            v_seq BIGINT;
        BEGIN
            INSERT INTO message_dedupe (sender_id, local_id, message_id) VALUES (p_sender, p_local, p_message_id)
            ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN
                SELECT d.message_id INTO v_existing FROM message_dedupe d WHERE d.sender_id = p_sender AND d.local_id = p_local;
                RETURN QUERY SELECT r.seq, r.message_id, TRUE FROM message_refs r WHERE r.message_id = v_existing;
                RETURN;
            END IF;
            IF p_private THEN
                INSERT INTO conversations AS c (id, type, last_seq, version, created_at, updated_at)
                VALUES (p_conversation, 'private', 1, p_version, p_created, p_created)
                ON CONFLICT (id) DO UPDATE SET last_seq = c.last_seq + 1, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
                RETURNING c.last_seq INTO v_seq;
                IF v_seq = 1 THEN
                    INSERT INTO members (conversation_id, user_id, version, joined_at)
                    VALUES (p_conversation, p_user_a, p_version, p_created), (p_conversation, p_user_b, p_version, p_created)
                    ON CONFLICT DO NOTHING;
                END IF;
            ELSE
                UPDATE conversations SET last_seq = last_seq + 1, version = p_version, updated_at = p_created
                WHERE id = p_conversation RETURNING last_seq INTO v_seq;
                IF v_seq IS NULL THEN
                    RAISE EXCEPTION 'conversation' USING ERRCODE = 'P0002';
                END IF;
            END IF;
            INSERT INTO messages (conversation_id, seq, message_id, sender_id, local_id, content_type, content, at_users,
                                  reply_to, created_at, recalled, is_event)
            VALUES (p_conversation, v_seq, p_message_id, p_sender, p_local, p_type, p_content, p_at_users,
                    p_reply_to, p_created, FALSE, FALSE);
            INSERT INTO message_refs VALUES (p_message_id, p_conversation, v_seq, p_created);
            INSERT INTO mentions (conversation_id, user_id, seq)
            SELECT p_conversation, u, v_seq FROM unnest(p_mentions) AS u ON CONFLICT DO NOTHING;
            UPDATE members SET read_seq = v_seq, delivered_seq = GREATEST(delivered_seq, v_seq)
            WHERE conversation_id = p_conversation AND user_id = p_sender;
            RETURN QUERY SELECT v_seq, p_message_id, FALSE;
        END;
        $$ LANGUAGE plpgsql;
        """),
        (2, """
        -- Many sends in one round trip (a writer batch): row i of the result is send i.
        -- Mentions come as one JSON array of user ids per send; '' stands for a missing
        -- atUsers or replyTo.
        CREATE FUNCTION parley_append_messages(
            p_conversation TEXT[], p_private BOOLEAN[], p_user_a TEXT[], p_user_b TEXT[], p_message_id TEXT[],
            p_sender TEXT[], p_local TEXT[], p_type TEXT[], p_content TEXT[], p_at_users TEXT[], p_mentions TEXT[],
            p_reply_to TEXT[], p_created BIGINT[], p_version BIGINT[])
        RETURNS TABLE (out_index INT, out_seq BIGINT, out_message_id TEXT, out_duplicate BOOLEAN) AS $$
        BEGIN
            FOR i IN 1 .. coalesce(array_length(p_conversation, 1), 0) LOOP
                RETURN QUERY
                SELECT i, a.out_seq, a.out_message_id, a.out_duplicate FROM parley_append_message(
                    p_conversation[i], p_private[i], p_user_a[i], p_user_b[i], p_message_id[i], p_sender[i], p_local[i],
                    p_type[i], p_content[i], NULLIF(p_at_users[i], ''),
                    ARRAY(SELECT jsonb_array_elements_text(p_mentions[i]::jsonb)),
                    NULLIF(p_reply_to[i], ''), p_created[i], p_version[i]) AS a;
            END LOOP;
        END;
        $$ LANGUAGE plpgsql;
        """),
        (3, """
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        ALTER TABLE messages ADD COLUMN edited_at BIGINT;
        -- The text search finds a message by, derived from its content; NULL once recalled.
        ALTER TABLE messages ADD COLUMN search_text TEXT GENERATED ALWAYS AS (
            CASE content_type
                WHEN 'text' THEN content::jsonb ->> 'text'
                WHEN 'file' THEN content::jsonb ->> 'name'
                WHEN 'location' THEN coalesce(content::jsonb ->> 'name', '') || ' ' || coalesce(content::jsonb ->> 'address', '')
                WHEN 'card' THEN content::jsonb ->> 'displayName'
                WHEN 'forward' THEN content::jsonb ->> 'title'
            END) STORED;
        CREATE INDEX messages_search ON messages USING gin (search_text gin_trgm_ops);
        CREATE TABLE message_edits (
            message_id TEXT NOT NULL,
            version INT NOT NULL,
            content TEXT NOT NULL,
            replaced_at BIGINT NOT NULL,
            PRIMARY KEY (message_id, version)
        );
        CREATE TABLE hidden_messages (
            user_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            hidden_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, message_id)
        );
        CREATE TABLE reactions (
            message_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            emoji TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (message_id, user_id, emoji)
        );
        CREATE INDEX users_search ON users USING gin (username gin_trgm_ops, display_name gin_trgm_ops);
        CREATE INDEX groups_search ON groups USING gin (name gin_trgm_ops);
        """),
        (4, """
        ALTER TABLE users ADD COLUMN banned_at BIGINT;
        """),
        (5, """
        CREATE TABLE tasks (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            attempts BIGINT NOT NULL,
            run_at BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            last_error TEXT,
            dead_at BIGINT
        );
        CREATE INDEX tasks_due ON tasks (run_at) WHERE dead_at IS NULL;
        CREATE INDEX tasks_dead ON tasks (dead_at) WHERE dead_at IS NOT NULL;
        """),
        (6, """
        CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        """),
        (7, """
        ALTER TABLE auth_sessions ADD COLUMN rotated_hashes TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN group_adds TEXT;
        ALTER TABLE users ADD COLUMN presence_visibility TEXT NOT NULL DEFAULT 'contacts';
        ALTER TABLE users ADD COLUMN deleted_at BIGINT;
        ALTER TABLE requests ADD COLUMN inviter_id TEXT;
        """),
        (8, """
        -- The sender's read cursor before each send comes back too (a send that reads what the
        -- peer wrote tells the peer, as a receipt would).
        DROP FUNCTION parley_append_messages(TEXT[], BOOLEAN[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], BIGINT[], BIGINT[]);
        DROP FUNCTION parley_append_message(TEXT, BOOLEAN, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT[], TEXT, BIGINT, BIGINT);
        CREATE FUNCTION parley_append_message(
            p_conversation TEXT, p_private BOOLEAN, p_user_a TEXT, p_user_b TEXT, p_message_id TEXT,
            p_sender TEXT, p_local TEXT, p_type TEXT, p_content TEXT, p_at_users TEXT, p_mentions TEXT[],
            p_reply_to TEXT, p_created BIGINT, p_version BIGINT)
        RETURNS TABLE (out_seq BIGINT, out_message_id TEXT, out_duplicate BOOLEAN, out_read_before BIGINT) AS $$
        DECLARE
            v_existing TEXT;
            v_seq BIGINT;
            v_read_before BIGINT;
        BEGIN
            INSERT INTO message_dedupe (sender_id, local_id, message_id) VALUES (p_sender, p_local, p_message_id)
            ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN
                SELECT d.message_id INTO v_existing FROM message_dedupe d WHERE d.sender_id = p_sender AND d.local_id = p_local;
                RETURN QUERY SELECT r.seq, r.message_id, TRUE, NULL::BIGINT FROM message_refs r WHERE r.message_id = v_existing;
                RETURN;
            END IF;
            IF p_private THEN
                INSERT INTO conversations AS c (id, type, last_seq, version, created_at, updated_at)
                VALUES (p_conversation, 'private', 1, p_version, p_created, p_created)
                ON CONFLICT (id) DO UPDATE SET last_seq = c.last_seq + 1, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
                RETURNING c.last_seq INTO v_seq;
                IF v_seq = 1 THEN
                    INSERT INTO members (conversation_id, user_id, version, joined_at)
                    VALUES (p_conversation, p_user_a, p_version, p_created), (p_conversation, p_user_b, p_version, p_created)
                    ON CONFLICT DO NOTHING;
                END IF;
            ELSE
                UPDATE conversations SET last_seq = last_seq + 1, version = p_version, updated_at = p_created
                WHERE id = p_conversation RETURNING last_seq INTO v_seq;
                IF v_seq IS NULL THEN
                    RAISE EXCEPTION 'conversation' USING ERRCODE = 'P0002';
                END IF;
            END IF;
            INSERT INTO messages (conversation_id, seq, message_id, sender_id, local_id, content_type, content, at_users,
                                  reply_to, created_at, recalled, is_event)
            VALUES (p_conversation, v_seq, p_message_id, p_sender, p_local, p_type, p_content, p_at_users,
                    p_reply_to, p_created, FALSE, FALSE);
            INSERT INTO message_refs VALUES (p_message_id, p_conversation, v_seq, p_created);
            INSERT INTO mentions (conversation_id, user_id, seq)
            SELECT p_conversation, u, v_seq FROM unnest(p_mentions) AS u ON CONFLICT DO NOTHING;
            SELECT read_seq INTO v_read_before FROM members WHERE conversation_id = p_conversation AND user_id = p_sender;
            UPDATE members SET read_seq = v_seq, delivered_seq = GREATEST(delivered_seq, v_seq)
            WHERE conversation_id = p_conversation AND user_id = p_sender;
            RETURN QUERY SELECT v_seq, p_message_id, FALSE, coalesce(v_read_before, 0);
        END;
        $$ LANGUAGE plpgsql;
        CREATE FUNCTION parley_append_messages(
            p_conversation TEXT[], p_private BOOLEAN[], p_user_a TEXT[], p_user_b TEXT[], p_message_id TEXT[],
            p_sender TEXT[], p_local TEXT[], p_type TEXT[], p_content TEXT[], p_at_users TEXT[], p_mentions TEXT[],
            p_reply_to TEXT[], p_created BIGINT[], p_version BIGINT[])
        RETURNS TABLE (out_index INT, out_seq BIGINT, out_message_id TEXT, out_duplicate BOOLEAN, out_read_before BIGINT) AS $$
        BEGIN
            FOR i IN 1 .. coalesce(array_length(p_conversation, 1), 0) LOOP
                RETURN QUERY
                SELECT i, a.out_seq, a.out_message_id, a.out_duplicate, a.out_read_before FROM parley_append_message(
                    p_conversation[i], p_private[i], p_user_a[i], p_user_b[i], p_message_id[i], p_sender[i], p_local[i],
                    p_type[i], p_content[i], NULLIF(p_at_users[i], ''),
                    ARRAY(SELECT jsonb_array_elements_text(p_mentions[i]::jsonb)),
                    NULLIF(p_reply_to[i], ''), p_created[i], p_version[i]) AS a;
            END LOOP;
        END;
        $$ LANGUAGE plpgsql;
        """),
        (9, """
        CREATE TABLE push_tokens (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            token TEXT NOT NULL,
            device_id TEXT NOT NULL,
            sandbox BOOLEAN NOT NULL DEFAULT FALSE,
            login_id TEXT,
            created_at BIGINT NOT NULL,
            UNIQUE (provider, token)
        );
        CREATE INDEX push_tokens_user ON push_tokens (user_id);
        CREATE TABLE push_settings (
            user_id TEXT PRIMARY KEY,
            enabled BOOLEAN NOT NULL,
            preview BOOLEAN NOT NULL,
            quiet_start BIGINT,
            quiet_end BIGINT,
            time_zone TEXT
        );
        """),
        (10, """
        CREATE TABLE push_log (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            token_id TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            attempts INT NOT NULL,
            created_at BIGINT NOT NULL,
            sent_at BIGINT
        );
        CREATE INDEX push_log_user ON push_log (user_id, created_at);
        CREATE INDEX push_log_created ON push_log (created_at);
        """),
        (11, """
        CREATE TABLE media (
            id TEXT PRIMARY KEY,
            owner_id TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            uploaded_size BIGINT NOT NULL,
            blob_key TEXT NOT NULL,
            thumbnail_key TEXT,
            display_key TEXT,
            details TEXT NOT NULL,
            created_at BIGINT NOT NULL
        );
        CREATE INDEX media_owner ON media (owner_id);
        CREATE INDEX media_source ON media (source_sha256, created_at);
        CREATE INDEX media_created ON media (created_at);
        CREATE INDEX media_blob ON media (blob_key);
        CREATE INDEX media_thumbnail ON media (thumbnail_key);
        CREATE INDEX media_display ON media (display_key);
        CREATE TABLE media_refs (
            media_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            PRIMARY KEY (media_id, conversation_id, message_id)
        );
        CREATE INDEX media_refs_message ON media_refs (message_id);
        CREATE TABLE media_blobs (
            key TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            size BIGINT NOT NULL,
            touched_at BIGINT NOT NULL,
            doomed_at BIGINT
        );
        CREATE UNIQUE INDEX media_blobs_live ON media_blobs (sha256) WHERE doomed_at IS NULL;
        CREATE INDEX media_blobs_touched ON media_blobs (touched_at);
        """),
    ]

    static var latest: Int { all.map(\.version).max() ?? 0 }

    /// A migration's statements, one at a time (the extended protocol takes one per query):
    /// split at `;` outside `$$` bodies, comment lines dropped.
    static func statements(of script: String) -> [String] {
        let text = script.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
            .joined(separator: "\n")
        var result: [String] = []
        var current = ""
        var inBody = false
        var previous: Character = " "
        for character in text {
            current.append(character)
            if character == "$", previous == "$" { inBody.toggle() }
            if character == ";", !inBody {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if statement.count > 1 { result.append(statement) }
                current = ""
            }
            previous = character
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { result.append(rest) }
        return result
    }

    /// Applies what the database lacks; refuses a database migrated by a newer Parley.
    static func apply(_ sql: SQLSession) async throws {
        // Any number, the same for every node: serialises concurrent starts.
        try await sql.run("SELECT pg_advisory_lock(74657001)")
        do {
            try await sql.run("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let applied = Set(try await sql.all("SELECT version FROM schema_migrations") { Int(try $0.int(0)) })
            if let newest = applied.max(), newest > latest {
                throw StoreError.engine("the database schema is version \(newest), newer than this Parley (\(latest)): upgrade Parley")
            }
            for migration in all where !applied.contains(migration.version) {
                try await sql.run("BEGIN")
                do {
                    for statement in statements(of: migration.sql) { try await sql.run(statement) }
                    try await sql.run(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                        [.integer(Int64(migration.version)), .integer(Int64(Date().timeIntervalSince1970 * 1000))])
                    try await sql.run("COMMIT")
                } catch {
                    try? await sql.run("ROLLBACK")
                    throw error
                }
            }
            try await sql.run("SELECT pg_advisory_unlock(74657001)")
        } catch {
            try? await sql.run("SELECT pg_advisory_unlock(74657001)")
            throw error
        }
    }
}
