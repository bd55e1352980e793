"""Numbered schema migrations. Each runs once, in its own transaction, in order.

Never edit a migration that has shipped: add the next number.
"""

from datetime import datetime, timezone

from sqlite_utils import Database

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "actors, log, merkle nodes, checkpoints, projections",
        """
        CREATE TABLE actors (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('node', 'person', 'pool', 'cooperative')),
            name TEXT,
            local INTEGER NOT NULL,
            display_name TEXT,
            summary TEXT,
            inbox TEXT,
            shared_inbox TEXT,
            rsa_key_id TEXT,
            rsa_public_pem TEXT,
            ed25519_key_id TEXT,
            ed25519_multibase TEXT,
            document TEXT,
            fetched_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX actors_local_name ON actors (name) WHERE local = 1;

        CREATE TABLE pools (
            id TEXT PRIMARY KEY REFERENCES actors (id),
            license TEXT,
            method TEXT NOT NULL,
            parameters TEXT NOT NULL,
            requires_approval INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE stewards (
            pool TEXT NOT NULL REFERENCES pools (id),
            actor TEXT NOT NULL,
            PRIMARY KEY (pool, actor)
        ) WITHOUT ROWID;

        -- The log. Append-only: the triggers below refuse deletes and any update except
        -- a redaction, which drops the bytes and keeps the leaf hash.
        CREATE TABLE log_entries (
            idx INTEGER PRIMARY KEY,
            leaf_hash BLOB NOT NULL,
            body BLOB,
            activity_id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            actor TEXT NOT NULL,
            object_id TEXT,
            origin TEXT NOT NULL,
            verified_by TEXT,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX log_entries_object ON log_entries (object_id);
        CREATE INDEX log_entries_actor ON log_entries (actor, idx);
        CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries
        BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
        CREATE TRIGGER log_entries_only_redact BEFORE UPDATE ON log_entries
        WHEN NEW.idx IS NOT OLD.idx OR NEW.leaf_hash IS NOT OLD.leaf_hash
          OR NEW.activity_id IS NOT OLD.activity_id OR NEW.body IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'the log is append-only (only a redaction may drop an entry body)'); END;

        -- Every complete perfect subtree of the Merkle tree, written once.
        CREATE TABLE merkle_nodes (
            level INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY (level, idx)
        ) WITHOUT ROWID;
        CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'merkle nodes are written once'); END;
        CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'merkle nodes are written once'); END;

        CREATE TABLE checkpoints (
            size INTEGER PRIMARY KEY,
            root BLOB NOT NULL,
            note TEXT NOT NULL,
            signed_at TEXT NOT NULL
        );
        CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are written once'); END;

        -- Projections: derived from the log in the same transaction, for queries.
        CREATE TABLE contributions (
            id TEXT PRIMARY KEY,
            entry INTEGER NOT NULL,
            pool TEXT NOT NULL,
            contributor TEXT NOT NULL,
            minutes INTEGER NOT NULL,
            kind TEXT NOT NULL,
            summary TEXT NOT NULL,
            published TEXT NOT NULL,
            claim TEXT,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'validated', 'rejected')),
            decided_by TEXT,
            reason TEXT,
            decision_entry INTEGER
        );
        CREATE INDEX contributions_pool ON contributions (pool, status);
        CREATE INDEX contributions_contributor ON contributions (contributor);
        CREATE INDEX contributions_claim ON contributions (claim) WHERE claim IS NOT NULL;
        CREATE TABLE endorsements (
            contribution TEXT NOT NULL,
            actor TEXT NOT NULL,
            activity_id TEXT NOT NULL,
            entry INTEGER NOT NULL,
            PRIMARY KEY (contribution, actor)
        ) WITHOUT ROWID;
        """,
    ),
    (
        2,
        "federation: inbox items, outgoing activities, deliveries, follows, host preferences",
        """
        -- Accepted inbox POSTs, persisted before the 202 and processed afterwards.
        CREATE TABLE inbox_items (
            id INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL UNIQUE,
            body BLOB NOT NULL,
            actor TEXT NOT NULL,
            key_id TEXT,
            recipient TEXT,
            received_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'received'
                CHECK (state IN ('received', 'processed', 'ignored', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            processed_at TEXT
        );
        CREATE INDEX inbox_items_state ON inbox_items (state, id);

        -- Activities this node sends; fanned out to recipients' inboxes by the server.
        CREATE TABLE outgoing (
            id INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL UNIQUE,
            sender TEXT NOT NULL,
            body BLOB NOT NULL,
            recipients TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fanned-out')),
            created_at TEXT NOT NULL
        );
        CREATE INDEX outgoing_state ON outgoing (state, id);

        -- One row per (activity, inbox): the durable delivery queue.
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL,
            sender TEXT NOT NULL,
            inbox TEXT NOT NULL,
            host TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_status INTEGER,
            last_error TEXT,
            created_at TEXT NOT NULL,
            delivered_at TEXT,
            UNIQUE (activity_id, inbox)
        );
        CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
        CREATE INDEX deliveries_host ON deliveries (host, state);

        CREATE TABLE follows (
            follower TEXT NOT NULL,
            followee TEXT NOT NULL,
            activity_id TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
            created_at TEXT NOT NULL,
            PRIMARY KEY (follower, followee)
        ) WITHOUT ROWID;
        CREATE INDEX follows_followee ON follows (followee, state);

        -- What each remote host accepted (RFC 9421 or draft-cavage signatures).
        CREATE TABLE hosts (
            host TEXT PRIMARY KEY,
            signature_scheme TEXT,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        3,
        "deliveries: a row may wait for its recipient's inbox to be resolved",
        """
        -- SQLite cannot relax NOT NULL in place, so the table is rebuilt with the same
        -- columns plus `recipient`. A row has either an inbox (ready to POST) or a
        -- recipient whose actor document could not be fetched yet; the worker retries
        -- the fetch on the same backoff as a POST, so an unreachable recipient is never
        -- dropped silently.
        CREATE TABLE deliveries_v3 (
            id INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL,
            sender TEXT NOT NULL,
            inbox TEXT,
            recipient TEXT,
            host TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_status INTEGER,
            last_error TEXT,
            created_at TEXT NOT NULL,
            delivered_at TEXT,
            UNIQUE (activity_id, inbox),
            CHECK ((inbox IS NULL) <> (recipient IS NULL))
        );
        INSERT INTO deliveries_v3 (id, activity_id, sender, inbox, host, state, attempts,
            next_attempt_at, last_status, last_error, created_at, delivered_at)
        SELECT id, activity_id, sender, inbox, host, state, attempts, next_attempt_at,
            last_status, last_error, created_at, delivered_at FROM deliveries;
        DROP TABLE deliveries;
        ALTER TABLE deliveries_v3 RENAME TO deliveries;
        CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
        CREATE INDEX deliveries_host ON deliveries (host, state);
        CREATE UNIQUE INDEX deliveries_recipient ON deliveries (activity_id, recipient)
            WHERE recipient IS NOT NULL;
        """,
    ),
]


def migrate(db: Database) -> list[int]:
    """Apply every migration the database has not seen yet; return their numbers."""
    conn = db.conn
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations ("
        "number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT number FROM _migrations")}
    applied = []
    for number, name, sql in MIGRATIONS:
        if number in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated between our read and the lock.
            if conn.execute("SELECT 1 FROM _migrations WHERE number = ?", [number]).fetchone():
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations (number, name, applied_at) VALUES (?, ?, ?)",
                [number, name, datetime.now(timezone.utc).isoformat(timespec="seconds")],
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(number)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration script into statements, keeping trigger bodies whole."""
    import sqlite3

    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
