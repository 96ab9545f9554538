import ParleyStore

/// The embedded schema, as ordered migrations. A migration never changes once released;
/// new ones are appended. `schema_migrations` records what a database has applied.
enum Migrations {
    static let all: [(version: Int, sql: String)] = [
        (1, """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            avatar TEXT,
            password_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE auth_sessions (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            refresh_hash TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE members (
            conversation_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            delivered_seq INTEGER NOT NULL DEFAULT 0,
            read_seq INTEGER NOT NULL DEFAULT 0,
            pinned INTEGER NOT NULL DEFAULT 0,
            muted INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL,
            joined_at INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX members_user ON members (user_id);
        CREATE TABLE messages (
            conversation_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            sender_id TEXT NOT NULL,
            local_id TEXT,
            content_type TEXT NOT NULL,
            content TEXT,
            at_users TEXT,
            reply_to TEXT,
            created_at INTEGER NOT NULL,
            recalled INTEGER NOT NULL DEFAULT 0,
            is_event INTEGER NOT NULL DEFAULT 0,
            recall_event_id TEXT,
            PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX messages_dedupe ON messages (sender_id, local_id) WHERE local_id IS NOT NULL;
        CREATE TABLE mentions (
            conversation_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, user_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE notifications (
            user_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            title TEXT NOT NULL,
            content TEXT NOT NULL,
            action_type TEXT NOT NULL,
            action_data TEXT NOT NULL,
            priority TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, seq)
        ) WITHOUT ROWID;
        """),
        (2, """
        ALTER TABLE users ADD COLUMN friends_only INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN last_seen INTEGER;
        ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
        ALTER TABLE members ADD COLUMN muted_until INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE members ADD COLUMN hidden_seq INTEGER;
        CREATE TABLE friendships (
            user_id TEXT NOT NULL,
            friend_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, friend_id)
        ) WITHOUT ROWID;
        CREATE TABLE blocks (
            user_id TEXT NOT NULL,
            blocked_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, blocked_id)
        ) WITHOUT ROWID;
        CREATE INDEX blocks_blocked ON blocks (blocked_id);
        CREATE TABLE requests (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            from_id TEXT NOT NULL,
            target_id TEXT NOT NULL,
            message TEXT NOT NULL,
            status TEXT NOT NULL,
            decided_by TEXT,
            created_at INTEGER NOT NULL,
            decided_at INTEGER
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX requests_pending ON requests (kind, from_id, target_id) WHERE status = 'pending';
        CREATE INDEX requests_target ON requests (target_id, status);
        CREATE INDEX requests_from ON requests (from_id, status);
        CREATE TABLE groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            announcement TEXT NOT NULL DEFAULT '',
            mute_all INTEGER NOT NULL DEFAULT 0,
            join_policy TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            dismissed_at INTEGER
        ) WITHOUT ROWID;
        """),
        (3, """
        ALTER TABLE messages ADD COLUMN edited_at INTEGER;
        CREATE TABLE message_edits (
            message_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            content TEXT NOT NULL,
            replaced_at INTEGER NOT NULL,
            PRIMARY KEY (message_id, version)
        ) WITHOUT ROWID;
        CREATE TABLE hidden_messages (
            user_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            hidden_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, message_id)
        ) WITHOUT ROWID;
        CREATE TABLE reactions (
            message_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            emoji TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (message_id, user_id, emoji)
        ) WITHOUT ROWID;
        CREATE VIRTUAL TABLE message_search USING fts5(
            body, message_id UNINDEXED, conversation_id UNINDEXED, created_at UNINDEXED, tokenize = 'trigram');
        """),
        (4, """
        ALTER TABLE users ADD COLUMN banned_at INTEGER;
        """),
        (5, """
        CREATE TABLE tasks (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            run_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            last_error TEXT,
            dead_at INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX tasks_due ON tasks (run_at) WHERE dead_at IS NULL;
        CREATE INDEX tasks_dead ON tasks (dead_at) WHERE dead_at IS NOT NULL;
        """),
        (6, """
        CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        """),
        (7, """
        ALTER TABLE auth_sessions ADD COLUMN rotated_hashes TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN group_adds TEXT;
        ALTER TABLE users ADD COLUMN presence_visibility TEXT NOT NULL DEFAULT 'contacts';
        ALTER TABLE users ADD COLUMN deleted_at INTEGER;
        ALTER TABLE requests ADD COLUMN inviter_id TEXT;
        """),
        (8, """
        CREATE TABLE push_tokens (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            token TEXT NOT NULL,
            device_id TEXT NOT NULL,
            sandbox INTEGER NOT NULL DEFAULT 0,
            login_id TEXT,
            created_at INTEGER NOT NULL,
            UNIQUE (provider, token)
        ) WITHOUT ROWID;
        CREATE INDEX push_tokens_user ON push_tokens (user_id);
        CREATE TABLE push_settings (
            user_id TEXT PRIMARY KEY,
            enabled INTEGER NOT NULL,
            preview INTEGER NOT NULL,
            quiet_start INTEGER,
            quiet_end INTEGER,
            time_zone TEXT
        ) WITHOUT ROWID;
        """),
        (9, """
        CREATE TABLE push_log (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            token_id TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            attempts INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            sent_at INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX push_log_user ON push_log (user_id, created_at);
        CREATE INDEX push_log_created ON push_log (created_at);
        """),
        (10, """
        CREATE TABLE media (
            id TEXT PRIMARY KEY,
            owner_id TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            uploaded_size INTEGER NOT NULL,
            blob_key TEXT NOT NULL,
            thumbnail_key TEXT,
            display_key TEXT,
            details TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
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
        ) WITHOUT ROWID;
        CREATE INDEX media_refs_message ON media_refs (message_id);
        CREATE TABLE media_blobs (
            key TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            touched_at INTEGER NOT NULL,
            doomed_at INTEGER
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX media_blobs_live ON media_blobs (sha256) WHERE doomed_at IS NULL;
        CREATE INDEX media_blobs_touched ON media_blobs (touched_at);
        """),
        (11, """
        -- Sends queue their search text here, in their own transaction; the search indexer moves
        -- it into `message_search` in batches shortly after. Appending to this table touches one
        -- page where a trigram index insert touched dozens.
        CREATE TABLE search_backlog (
            id INTEGER PRIMARY KEY,
            message_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        """),
    ]

    static var latest: Int { all.map(\.version).max() ?? 0 }

    /// Applies the migrations `connection`'s database lacks, each in its own transaction.
    static func apply(to connection: SQLiteConnection) throws {
        try connection.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        let applied = Set(try connection.all("SELECT version FROM schema_migrations") { Int($0.int(0)) })
        if let newest = applied.max(), newest > latest {
            throw StoreError.engine("the database schema is version \(newest), newer than this Parley (\(latest)): upgrade Parley")
        }
        for migration in all where !applied.contains(migration.version) {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute(migration.sql)
                try connection.run(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))",
                    [.integer(Int64(migration.version))])
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }
}
