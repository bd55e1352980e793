"""Numbered schema migrations. Each runs once, in its own transaction, in order.

Never edit a migration that has shipped: add the next number.
"""

import sqlite3
from datetime import datetime, timezone
from typing import Callable

from .database import Database

from .bodies import compress_existing

# The per-pool index and what is built from it, emptied to be indexed again from the log's
# first entry (migration 143; the same statements on PostgreSQL).
_INDEX_AGAIN = """
        DELETE FROM pool_index_entries;
        DELETE FROM pool_index_refs;
        DELETE FROM pool_index_owners;
        DELETE FROM pool_index_pools;
        DELETE FROM pool_ledger_parts;
        UPDATE pool_index_state SET size = 0;
"""

# A migration is SQL, or a function of the connection for a step SQL cannot say (it runs
# in the migration's transaction like the SQL would).
MIGRATIONS: list[tuple[int, str, str | Callable[[sqlite3.Connection], None]]] = [
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

        -- One row per (activity, inbox): the durable delivery queue. A row has either an
        -- inbox (ready to POST) or a recipient whose actor document could not be fetched
        -- yet; the worker retries the fetch on the same backoff as a POST, so an
        -- unreachable recipient is never dropped silently.
        CREATE TABLE deliveries (
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
        CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
        CREATE INDEX deliveries_host ON deliveries (host, state);
        CREATE UNIQUE INDEX deliveries_recipient ON deliveries (activity_id, recipient)
            WHERE recipient IS NOT NULL;

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
        "log replication: mirrors of other logs, seen checkpoints, forks, witnessing",
        """
        -- One mirror per log origin. `size`/`root`/`frontier` is the verified state: a
        -- checkpoint signed by the pinned key matched it. Entries past `size`, up to
        -- `staged_size`, passed every per-entry check but wait for a checkpoint to cover
        -- them; they are dropped if none does. Frontiers are the concatenated hashes.
        CREATE TABLE mirrors (
            origin TEXT PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            actor TEXT NOT NULL,
            verifier_key TEXT NOT NULL,
            size INTEGER NOT NULL DEFAULT 0,
            root BLOB NOT NULL,
            frontier BLOB NOT NULL,
            checkpoint TEXT,
            staged_size INTEGER NOT NULL DEFAULT 0,
            staged_frontier BLOB NOT NULL,
            forked INTEGER NOT NULL DEFAULT 0,
            last_sync TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            CHECK (staged_size >= size)
        );
        CREATE TABLE mirror_entries (
            origin TEXT NOT NULL REFERENCES mirrors (origin),
            idx INTEGER NOT NULL,
            leaf_hash BLOB NOT NULL,
            body BLOB,
            PRIMARY KEY (origin, idx)
        );
        CREATE TRIGGER mirror_entries_keep_verified BEFORE DELETE ON mirror_entries
        WHEN OLD.idx < (SELECT size FROM mirrors WHERE origin = OLD.origin)
        BEGIN SELECT RAISE(ABORT, 'verified mirror entries are append-only'); END;
        CREATE TRIGGER mirror_entries_only_redact BEFORE UPDATE ON mirror_entries
        WHEN NEW.origin IS NOT OLD.origin OR NEW.idx IS NOT OLD.idx
          OR NEW.leaf_hash IS NOT OLD.leaf_hash OR NEW.body IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'mirror entries are append-only (only a redaction may drop a body)'); END;
        -- Complete perfect subtrees above the leaves (level >= 1), as for the own log.
        CREATE TABLE mirror_nodes (
            origin TEXT NOT NULL,
            level INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY (origin, level, idx)
        ) WITHOUT ROWID;
        -- Keys the mirrored log published for its own actors, by the entry that did.
        CREATE TABLE mirror_keys (
            origin TEXT NOT NULL,
            idx INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            multibase TEXT NOT NULL,
            PRIMARY KEY (origin, idx, key_id)
        ) WITHOUT ROWID;

        -- Every validly signed checkpoint seen for an origin, verbatim.
        CREATE TABLE seen_checkpoints (
            origin TEXT NOT NULL,
            size INTEGER NOT NULL,
            root BLOB NOT NULL,
            note TEXT NOT NULL,
            source TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (origin, size, root)
        ) WITHOUT ROWID;
        CREATE TABLE forks (
            id INTEGER PRIMARY KEY,
            origin TEXT NOT NULL,
            kind TEXT NOT NULL,
            evidence TEXT NOT NULL,
            flag TEXT,
            detected_at TEXT NOT NULL
        );
        CREATE INDEX forks_origin ON forks (origin);

        -- As a witness: the latest checkpoint cosigned per origin (c2sp.org/tlog-witness).
        CREATE TABLE witnessed (
            origin TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            root BLOB NOT NULL,
            note TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        -- Cosignatures other nodes made on our own checkpoints, as note signature lines.
        CREATE TABLE cosignatures (
            size INTEGER NOT NULL,
            witness TEXT NOT NULL,
            key_id BLOB NOT NULL,
            timestamp INTEGER NOT NULL,
            line TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (size, witness, key_id)
        ) WITHOUT ROWID;
        -- Witnesses we ask, with their pinned cosigner key and the size they last cosigned.
        CREATE TABLE witness_peers (
            url TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            verifier_key TEXT NOT NULL,
            cosigned_size INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        4,
        "the ActivityPub API: passwords, OAuth clients, codes and tokens, mailboxes",
        """
        -- One scrypt hash per local person who may sign in; the string carries its own
        -- salt and cost parameters, so they can be raised without a migration.
        CREATE TABLE passwords (
            actor TEXT PRIMARY KEY,
            hash TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;

        -- Clients registered dynamically (RFC 7591). Clients named by a URL are fetched
        -- when they ask for authorization and are not stored.
        CREATE TABLE oauth_clients (
            client_id TEXT PRIMARY KEY,
            client_name TEXT,
            redirect_uris TEXT NOT NULL,
            metadata TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) WITHOUT ROWID;

        -- Codes and tokens are stored as SHA-256 hashes: a copy of the database gives
        -- nobody a working credential. A grant ties a code to the tokens it produced, so
        -- a replayed code or refresh token can revoke everything that came from it.
        CREATE TABLE oauth_codes (
            code_hash BLOB PRIMARY KEY,
            grant_id TEXT NOT NULL,
            client_id TEXT NOT NULL,
            actor TEXT NOT NULL,
            redirect_uri TEXT NOT NULL,
            scope TEXT NOT NULL,
            code_challenge TEXT NOT NULL,
            expires_at REAL NOT NULL,
            used INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TABLE oauth_tokens (
            token_hash BLOB PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
            grant_id TEXT NOT NULL,
            client_id TEXT NOT NULL,
            actor TEXT NOT NULL,
            scope TEXT NOT NULL,
            expires_at REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'rotated', 'revoked')),
            created_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
        CREATE INDEX oauth_tokens_actor ON oauth_tokens (actor, state);

        -- What each local actor received (inbox) and sent (outbox), indexed from the log,
        -- the inbox items and the outgoing queue as they grow (a cursor per source), so
        -- the API can page them without reading every stored activity.
        CREATE TABLE mailbox (
            seq INTEGER PRIMARY KEY,
            box TEXT NOT NULL CHECK (box IN ('inbox', 'outbox')),
            actor TEXT NOT NULL,
            activity_id TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('log', 'inbox', 'outgoing')),
            ref INTEGER NOT NULL,
            at TEXT NOT NULL,
            UNIQUE (box, actor, activity_id)
        );
        CREATE INDEX mailbox_actor ON mailbox (actor, box, at, seq);
        CREATE TABLE mailbox_cursors (
            source TEXT PRIMARY KEY,
            position INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        5,
        "cooperatives: members, sustained pools, distributions",
        """
        -- Who may act for a local cooperative on this node (run its payouts, change what
        -- it sustains). Not a projection: the log records what the cooperative signed.
        CREATE TABLE coop_members (
            coop TEXT NOT NULL REFERENCES actors (id),
            person TEXT NOT NULL REFERENCES actors (id),
            PRIMARY KEY (coop, person)
        ) WITHOUT ROWID;

        -- Projections of the log: the pools a cooperative sustains (from its latest
        -- Update of itself) and the Distributions it published.
        CREATE TABLE coop_sustains (
            coop TEXT NOT NULL,
            pool TEXT NOT NULL,
            weight TEXT NOT NULL,
            PRIMARY KEY (coop, pool)
        ) WITHOUT ROWID;
        CREATE TABLE distributions (
            id TEXT PRIMARY KEY,
            coop TEXT NOT NULL,
            entry INTEGER NOT NULL,
            amount TEXT NOT NULL,
            currency TEXT NOT NULL,
            policy TEXT NOT NULL,
            period TEXT,
            recipients INTEGER NOT NULL,
            published TEXT NOT NULL
        );
        CREATE INDEX distributions_coop ON distributions (coop, entry);
        """,
    ),
    (
        6,
        "sign-in sessions of the web pages",
        """
        -- A browser signed in with a password. Only the SHA-256 of the cookie value is
        -- kept, so a copy of the database lets nobody act as anyone. `password_seal` is
        -- the SHA-256 of the password hash at sign-in: a new password breaks the seal.
        CREATE TABLE web_sessions (
            token_hash BLOB PRIMARY KEY,
            actor TEXT NOT NULL REFERENCES actors (id),
            password_seal BLOB NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX web_sessions_actor ON web_sessions (actor);
        CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
        """,
    ),
    (
        7,
        "inbox items wait before another attempt",
        """
        -- An item whose processing failed (its actor's server down, say) is tried again
        -- only from this time on, not at once.
        ALTER TABLE inbox_items ADD COLUMN next_attempt_at TEXT;
        """,
    ),
    (
        10,
        "imports from sources of peer production: sources, runs, aliases, waiting items",
        """
        -- A source a pool imports from (a git repository, citation metadata), how its items
        -- become contributions (settings, JSON), and where the last run stopped (cursor).
        CREATE TABLE import_sources (
            name TEXT PRIMARY KEY,
            pool TEXT NOT NULL,
            type TEXT NOT NULL,
            location TEXT NOT NULL,
            settings TEXT NOT NULL,
            cursor TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE import_runs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            pool TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            items INTEGER NOT NULL DEFAULT 0,
            recorded INTEGER NOT NULL DEFAULT 0,
            waiting INTEGER NOT NULL DEFAULT 0,
            bots INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            minutes TEXT NOT NULL DEFAULT '{}',
            validated INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX import_runs_pool ON import_runs (pool, id);
        -- Private: a source identity (an e-mail address, an ORCID) is an actor of a pool once
        -- a steward confirms it. Never served, never logged.
        CREATE TABLE aliases (
            pool TEXT NOT NULL,
            key TEXT NOT NULL,
            actor TEXT NOT NULL,
            confirmed_by TEXT NOT NULL,
            confirmed_at TEXT NOT NULL,
            PRIMARY KEY (pool, key)
        );
        -- Private: every identity a pool's sources named, the name it went by, the other
        -- identities the source says are the same person (a .mailmap's groupings, JSON).
        CREATE TABLE import_identities (
            pool TEXT NOT NULL,
            key TEXT NOT NULL,
            name TEXT NOT NULL,
            aka TEXT NOT NULL DEFAULT '[]',
            bot INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (pool, key)
        );
        -- Private: an item's part for an identity with no alias yet, recorded once one is
        -- confirmed (data: the contribution to make, JSON).
        CREATE TABLE import_waiting (
            pool TEXT NOT NULL,
            key TEXT NOT NULL,
            item TEXT NOT NULL,
            run INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (pool, key, item)
        );
        -- sessions/1 needs each person's previous item: where a source's last run left it.
        CREATE TABLE import_sessions (
            source TEXT NOT NULL,
            key TEXT NOT NULL,
            last TEXT NOT NULL,
            PRIMARY KEY (source, key)
        );
        -- Which run recorded which contribution, so a steward validates a run's items.
        CREATE TABLE import_recorded (
            contribution TEXT PRIMARY KEY,
            run INTEGER NOT NULL
        );
        CREATE INDEX import_recorded_run ON import_recorded (run);
        """,
    ),
    (
        50,
        "per-pool index of log entries",
        """
        -- Which log entries can concern which pool (fedcommons/standing/relevance.py), so
        -- that a pool's standing reads that pool's entries, not the whole log. Pools and
        -- references are named by 64-bit keys of their URLs; a shared key only makes an
        -- entry read that changes nothing.
        CREATE TABLE pool_index_pools (
            key INTEGER PRIMARY KEY,
            url TEXT NOT NULL
        );
        -- `filed`: the size of the log when the entry was filed, its own index but for an
        -- entry that referred to something not yet in the log (a Like before its
        -- contribution), filed when that came. A ledger read from the first N entries
        -- reads on with the entries filed at N or later.
        CREATE TABLE pool_index_entries (
            pool INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            filed INTEGER NOT NULL,
            PRIMARY KEY (pool, idx)
        ) WITHOUT ROWID;
        CREATE INDEX pool_index_entries_filed ON pool_index_entries (pool, filed);
        -- Entries that refer to another entry's object (an Accept, a Like, an Undo), by
        -- the key of the URL they refer to, with the key of the URL they introduce (a Like's id).
        CREATE TABLE pool_index_refs (
            ref INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            owns INTEGER,
            PRIMARY KEY (ref, idx)
        ) WITHOUT ROWID;
        -- Which pools a URL (a contribution's id, a Like's id) belongs to.
        CREATE TABLE pool_index_owners (
            ref INTEGER NOT NULL,
            pool INTEGER NOT NULL,
            PRIMARY KEY (ref, pool)
        ) WITHOUT ROWID;
        -- How many entries, from the first, the index covers. An existing log starts at 0
        -- and is indexed on first open; until then its standings are read from the whole log.
        CREATE TABLE pool_index_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            size INTEGER NOT NULL
        );
        INSERT INTO pool_index_state (id, size) VALUES (1, 0);
        -- A pool's ledger (fedcommons/standing/ledger.py) as read from its first `size`
        -- entries, `entries` of them filed under it: its standing reads on from there.
        CREATE TABLE pool_ledgers (
            pool INTEGER PRIMARY KEY,
            size INTEGER NOT NULL,
            entries INTEGER NOT NULL,
            snapshot BLOB NOT NULL
        );
        """,
    ),
    (
        51,
        "a pool's contributions newest first, and how many it has, without reading them all",
        """
        -- A pool page lists a pool's latest contributions and counts them: with this index
        -- and the count kept by the trigger, neither reads the pool's other rows.
        CREATE INDEX contributions_pool_entry ON contributions (pool, entry);
        CREATE TABLE pool_contribution_counts (
            pool TEXT PRIMARY KEY,
            count INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO pool_contribution_counts (pool, count)
            SELECT pool, count(*) FROM contributions GROUP BY pool;
        -- Contributions are never deleted; an ignored INSERT OR IGNORE fires nothing.
        CREATE TRIGGER contributions_counted AFTER INSERT ON contributions
        BEGIN
            INSERT INTO pool_contribution_counts (pool, count) VALUES (NEW.pool, 1)
                ON CONFLICT (pool) DO UPDATE SET count = count + 1;
        END;
        """,
    ),
    (
        60,
        "entry bodies may be stored compressed with a dictionary kept in the database",
        """
        -- Dictionaries trained on the log's own entries (store/bodies.py). A row of
        -- log_entries whose `dictionary` is set holds its body compressed with it; the
        -- canonical bytes are what readers get back. Written once, never changed.
        CREATE TABLE body_dictionaries (
            key INTEGER PRIMARY KEY,
            dictionary BLOB NOT NULL,
            trained_at_size INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TRIGGER body_dictionaries_no_update BEFORE UPDATE ON body_dictionaries
        BEGIN SELECT RAISE(ABORT, 'body dictionaries are written once'); END;
        CREATE TRIGGER body_dictionaries_no_delete BEFORE DELETE ON body_dictionaries
        BEGIN SELECT RAISE(ABORT, 'body dictionaries are written once'); END;
        ALTER TABLE log_entries ADD COLUMN dictionary INTEGER;  -- a key of body_dictionaries
        """,
    ),
    (61, "the bodies of an existing log compressed", compress_existing),
    (
        62,
        "redactions of the log and of mirrors",
        """
        -- An entry of this log whose bytes a redaction dropped: the index of the signed
        -- notice that says so and the figures it retained (JCS bytes), which standing
        -- reads in the entry's place. Written once, with the notice, never changed.
        CREATE TABLE redactions (
            idx INTEGER PRIMARY KEY,
            notice INTEGER NOT NULL UNIQUE,
            retained BLOB NOT NULL
        );
        CREATE TRIGGER redactions_no_update BEFORE UPDATE ON redactions
        BEGIN SELECT RAISE(ABORT, 'redactions are written once'); END;
        CREATE TRIGGER redactions_no_delete BEFORE DELETE ON redactions
        BEGIN SELECT RAISE(ABORT, 'redactions are written once'); END;
        -- The same for a mirrored log, read from the notices in it. A notice past the
        -- mirror's verified size is staged: applied (the mirror drops its copy of the
        -- entry's bytes) once a signed checkpoint covers it, dropped with the staged entries.
        CREATE TABLE mirror_redactions (
            origin TEXT NOT NULL REFERENCES mirrors (origin),
            idx INTEGER NOT NULL,
            notice INTEGER NOT NULL,
            leaf_hash BLOB NOT NULL,
            retained BLOB NOT NULL,
            PRIMARY KEY (origin, idx)
        );
        CREATE TRIGGER mirror_redactions_keep_verified BEFORE DELETE ON mirror_redactions
        WHEN OLD.notice < (SELECT size FROM mirrors WHERE origin = OLD.origin)
        BEGIN SELECT RAISE(ABORT, 'verified mirror redactions are kept'); END;
        """,
    ),
    (
        70,
        "governance: pools' settings, proposals and their outcomes",
        """
        -- Projections of the log: the governance settings of each pool or cooperative
        -- that adopted governance, and every proposal (a Question its pool or cooperative
        -- published), with the outcome and the Tally that settled it once it ended.
        CREATE TABLE governed (
            actor TEXT PRIMARY KEY REFERENCES actors (id),
            settings TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE proposals (
            id TEXT PRIMARY KEY,
            governs TEXT NOT NULL,
            entry INTEGER NOT NULL,
            proposer TEXT,
            title TEXT NOT NULL,
            end_time TEXT NOT NULL,
            outcome TEXT,
            tally TEXT,
            settled_at TEXT
        );
        CREATE INDEX proposals_governs ON proposals (governs, end_time);
        CREATE INDEX proposals_due ON proposals (end_time) WHERE settled_at IS NULL;
        -- Delegations as the log states them (direct, or recorded from another server),
        -- with when each was taken back; what is in force is decided by the tally.
        CREATE TABLE delegations (
            id TEXT PRIMARY KEY,
            delegator TEXT NOT NULL,
            delegate TEXT NOT NULL,
            scope TEXT NOT NULL,
            published TEXT NOT NULL,
            revoked_at TEXT,
            entry INTEGER NOT NULL
        );
        CREATE INDEX delegations_scope ON delegations (scope, delegator);
        """,
    ),
    (
        80,
        "payee details for the bookkeeper, private to this node",
        """
        -- Who a cooperative's payouts and expenses go to, as the bank needs it: legal name
        -- and bank details. Never in the log and never served; only `books export
        -- --private` reads it. Keyed by the actor URL the log names.
        CREATE TABLE payees (
            actor TEXT PRIMARY KEY,
            legal_name TEXT NOT NULL,
            bank_details TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        100,
        "blocked domains and actors",
        """
        -- A domain (and every host under it) or one actor the node's operator has blocked:
        -- nothing from them is accepted, nothing is sent or fetched, their content is
        -- hidden on pages. The log itself is never changed by a block.
        CREATE TABLE blocks (
            target TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('domain', 'actor')),
            reason TEXT,
            created_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        130,
        "a cooperative's default payout constraints",
        """
        -- The payoutConstraints of a cooperative's latest Update of itself that states them
        -- (normal form, JSON), read by a payout whose run leaves a constraint out.
        CREATE TABLE coop_payout_defaults (
            coop TEXT PRIMARY KEY,
            constraints TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        131,
        "the last Update of each poll's count sent to its followers",
        """
        -- What the governed actor last told its followers a proposal's count was (sent,
        -- not logged: a count is a view of the log, recomputed by anyone). Proposals that
        -- ended before this table existed are marked done, so no late final Update goes out.
        CREATE TABLE poll_updates (
            proposal TEXT PRIMARY KEY,
            voters INTEGER NOT NULL,
            options TEXT NOT NULL,
            sent_at REAL NOT NULL,
            final INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        INSERT INTO poll_updates (proposal, voters, options, sent_at, final)
            SELECT id, 0, '[]', 0, 1 FROM proposals
            WHERE end_time <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now');
        """,
    ),
    (
        132,
        "signed checkpoints are never deleted",
        """
        -- A checkpoint is the node's signed word on its log: it was already written once and
        -- never updated; now it is never deleted either (a restore re-appends, it does not rewind).
        CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are written once'); END;
        """,
    ),
    (
        133,
        "pools' contribution counts kept by each insert's batch, not by a row trigger",
        """
        -- store/contributions.insert_contributions adds the rows each statement inserted to
        -- the count, in the same transaction: one upsert per pool and batch rather than one
        -- per row, which cost an import more than the rows themselves.
        DROP TRIGGER contributions_counted;
        """,
    ),
    (
        140,
        "claims and leases for several server processes on one database",
        """
        -- Which server process is working on an inbox item or a delivery (claimed_by), and
        -- until when (claimed_until, POSIX seconds) its claim holds: a process that dies
        -- leaves a claim that lapses, and the item is another's to take. Only processes
        -- sharing a PostgreSQL database claim; on SQLite one process serves and these stay NULL.
        ALTER TABLE inbox_items ADD COLUMN claimed_by TEXT;
        ALTER TABLE inbox_items ADD COLUMN claimed_until REAL;
        ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
        ALTER TABLE deliveries ADD COLUMN claimed_until REAL;
        -- Periodic work that one process of several does at a time (a round of syncs, the
        -- settling of proposals, housekeeping): whoever holds `name` until `expires_at`.
        CREATE TABLE work_leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at REAL NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        141,
        "a pool's stored ledger in parts, each written once",
        """
        -- A pool's ledger (fedcommons/standing/ledger.py) is stored as parts: each holds what
        -- the entries filed under the pool since the part before say, up to log size `size`
        -- (`entries`: how many are filed under it up to there). Joined in order they are the
        -- ledger of the whole pool (PoolLedger.absorb). Storing the ledger again writes only
        -- what is new, not a copy of a million entries' ledger every twenty thousand.
        CREATE TABLE pool_ledger_parts (
            pool INTEGER NOT NULL,
            size INTEGER NOT NULL,
            entries INTEGER NOT NULL,
            part BLOB NOT NULL,
            PRIMARY KEY (pool, size)
        );
        INSERT INTO pool_ledger_parts (pool, size, entries, part)
            SELECT pool, size, entries, snapshot FROM pool_ledgers;
        DROP TABLE pool_ledgers;
        """,
    ),
    (
        142,
        "imported contribution ids sort by the time of the work",
        """
        -- A source import's contribution ids now begin with the time of the work (see
        -- urls.imported_contribution), so an import in time order appends at the end of the
        -- indexes that hold them instead of writing a random page of each per contribution.
        -- Only for sources whose item times are fixed by their keys (commits, revisions).
        -- The pools that hold ids of the older form (a digest only), or parts waiting from
        -- before, are listed here, once: a run into one of them looks a part up under both
        -- forms, so that reading an item again still adds nothing twice.
        CREATE TABLE import_legacy_pools (
            pool TEXT PRIMARY KEY
        ) WITHOUT ROWID;
        INSERT INTO import_legacy_pools (pool)
            SELECT c.pool FROM import_recorded r JOIN contributions c ON c.id = r.contribution
            UNION SELECT pool FROM import_waiting;
        """,
    ),
    (
        143,
        "the per-pool index keys this node's ids by their time: indexed again",
        """
        -- standing.relevance.url_key now gives a URL ending in 32 hex digits (this node's
        -- ids) a key that sorts by the time the id was made, so that the index rows of new
        -- contributions go in at the end. The keys stored before no longer match: the index
        -- and the ledger parts built from it are emptied, and indexed again from the log's
        -- first entry (the server does it in the background, a batch at a time; `standing
        -- show` does it first, with a progress bar). Until it is done, standings are read
        -- from the whole log.
        """ + _INDEX_AGAIN,
    ),
]


# A new PostgreSQL database is made at once as these migrations up to this one leave a
# SQLite database (store/postgresql.sql). A later migration needs a PostgreSQL form too:
# POSTGRESQL_MIGRATIONS maps its number to it (tests/test_postgresql_schema.py holds both
# schemas equal).
POSTGRESQL_SCHEMA_VERSION = 131
POSTGRESQL_MIGRATIONS: dict[int, str] = {
    132: """
        CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
            FOR EACH ROW EXECUTE FUNCTION refuse_change('checkpoints are written once');
    """,
    133: """
        DROP TRIGGER contributions_counted ON contributions;
        DROP FUNCTION contributions_counted();
    """,
    140: """
    ALTER TABLE inbox_items ADD COLUMN claimed_by TEXT COLLATE "C";
    ALTER TABLE inbox_items ADD COLUMN claimed_until DOUBLE PRECISION;
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT COLLATE "C";
    ALTER TABLE deliveries ADD COLUMN claimed_until DOUBLE PRECISION;
    CREATE TABLE work_leases (
        name TEXT COLLATE "C" PRIMARY KEY,
        holder TEXT COLLATE "C" NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    );
    """,
    141: """
    CREATE TABLE pool_ledger_parts (
        pool BIGINT NOT NULL,
        size BIGINT NOT NULL,
        entries BIGINT NOT NULL,
        part BYTEA NOT NULL,
        PRIMARY KEY (pool, size)
    );
    INSERT INTO pool_ledger_parts (pool, size, entries, part) SELECT pool, size, entries, snapshot FROM pool_ledgers;
    DROP TABLE pool_ledgers;
    """,
    142: """
    CREATE TABLE import_legacy_pools (
        pool TEXT COLLATE "C" PRIMARY KEY
    );
    INSERT INTO import_legacy_pools (pool)
        SELECT c.pool FROM import_recorded r JOIN contributions c ON c.id = r.contribution
        UNION SELECT pool FROM import_waiting;
    """,
    143: _INDEX_AGAIN,
}


def migrate(db: Database) -> list[int]:
    """Apply every migration the database has not seen yet; return their numbers."""
    if db.on_postgresql:
        return _migrate_postgresql(db)
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
            if callable(sql):
                sql(conn)
            else:
                for statement in _statements(sql):
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations (number, name, applied_at) VALUES (?, ?, ?)",
                [number, name, datetime.now(timezone.utc).isoformat(timespec="seconds")],
            )
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(number)
    return applied


def _migrate_postgresql(db: Database) -> list[int]:
    from . import postgresql  # psycopg takes 0.18 s to load: only for a node on PostgreSQL

    conn = db.conn
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    done = postgresql.applied(conn)
    if done is None:
        baseline = [(number, name) for number, name, _ in MIGRATIONS if number <= POSTGRESQL_SCHEMA_VERSION]
        applied = postgresql.install_schema(conn, baseline, stamp)
        done = postgresql.applied(conn) or set()
    else:
        applied = []
    for number, name, _ in MIGRATIONS:
        if number in done:
            continue
        if number not in POSTGRESQL_MIGRATIONS:
            raise RuntimeError(f"migration {number} ({name}) has no PostgreSQL form")
        postgresql.begin_migration(conn)
        try:
            if conn.execute("SELECT 1 FROM _migrations WHERE number = ?", [number]).fetchone():
                conn.execute("ROLLBACK")
                continue
            conn.script(POSTGRESQL_MIGRATIONS[number])
            conn.execute("INSERT INTO _migrations (number, name, applied_at) VALUES (?, ?, ?)",
                         [number, name, stamp])
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(number)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration script into statements, keeping trigger bodies whole."""
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
