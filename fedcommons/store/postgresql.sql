-- The schema of a new PostgreSQL (15+) node database: what the SQLite migrations in
-- store/migrations.py produce, table for table and column for column, so that the same
-- SQL runs on both. Run once, in one transaction; the caller then marks every migration
-- of store/migrations.py applied in _migrations.
--
-- How SQLite's schema is carried over:
-- - INTEGER is BIGINT (SQLite's integers are 64-bit), REAL is DOUBLE PRECISION, BLOB is
--   BYTEA; flags stay BIGINT 0/1, as the SQL compares them with 1.
-- - Every TEXT column is COLLATE "C": bytewise order, as SQLite's BINARY collation, so an
--   ORDER BY or a range on text gives the same rows whatever the database's locale.
-- - An INTEGER PRIMARY KEY that SQLite assigns (the SQL inserts no value) is an identity
--   column; one the SQL always gives (log indexes, sizes, keys of URLs) is a plain BIGINT.
-- - Tables whose SQL orders by SQLite's implicit rowid have a column named rowid, last,
--   that numbers the rows in the order they were inserted:
--     import_waiting, import_recorded
-- - Each SQLite trigger is a trigger of the same name calling a PL/pgSQL function; it
--   raises the same message with SQLSTATE 23000, which drivers report as an integrity
--   error, as SQLite's RAISE(ABORT, ...) is.
-- - TRUNCATE, which SQLite has not, would skip the row triggers: it is refused on the
--   tables whose every DELETE is refused, or whose verified rows are kept.

CREATE TABLE _migrations (
    number BIGINT PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    applied_at TEXT COLLATE "C" NOT NULL
);

-- A trigger that refuses whatever fired it, with the message given as its argument.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

-- 1: actors, log, merkle nodes, checkpoints, projections

CREATE TABLE actors (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('node', 'person', 'pool', 'cooperative')),
    name TEXT COLLATE "C",
    local BIGINT NOT NULL,
    display_name TEXT COLLATE "C",
    summary TEXT COLLATE "C",
    inbox TEXT COLLATE "C",
    shared_inbox TEXT COLLATE "C",
    rsa_key_id TEXT COLLATE "C",
    rsa_public_pem TEXT COLLATE "C",
    ed25519_key_id TEXT COLLATE "C",
    ed25519_multibase TEXT COLLATE "C",
    document TEXT COLLATE "C",
    fetched_at TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX actors_local_name ON actors (name) WHERE local = 1;

CREATE TABLE pools (
    id TEXT COLLATE "C" PRIMARY KEY REFERENCES actors (id),
    license TEXT COLLATE "C",
    method TEXT COLLATE "C" NOT NULL,
    parameters TEXT COLLATE "C" NOT NULL,
    requires_approval BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE stewards (
    pool TEXT COLLATE "C" NOT NULL REFERENCES pools (id),
    actor TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (pool, actor)
);

-- The log. Append-only: deletes are refused, and every update but a redaction, which
-- drops the bytes and keeps the leaf hash.
CREATE TABLE log_entries (
    idx BIGINT PRIMARY KEY,
    leaf_hash BYTEA NOT NULL,
    body BYTEA,
    activity_id TEXT COLLATE "C" NOT NULL UNIQUE,
    type TEXT COLLATE "C" NOT NULL,
    actor TEXT COLLATE "C" NOT NULL,
    object_id TEXT COLLATE "C",
    origin TEXT COLLATE "C" NOT NULL,
    verified_by TEXT COLLATE "C",
    recorded_at TEXT COLLATE "C" NOT NULL,
    dictionary BIGINT  -- a key of body_dictionaries (migration 60)
);
CREATE INDEX log_entries_object ON log_entries (object_id);
CREATE INDEX log_entries_actor ON log_entries (actor, idx);
CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_change('the log is append-only');
CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the log is append-only');
CREATE FUNCTION log_entries_only_redact() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.idx IS DISTINCT FROM OLD.idx OR NEW.leaf_hash IS DISTINCT FROM OLD.leaf_hash
       OR NEW.activity_id IS DISTINCT FROM OLD.activity_id OR NEW.body IS NOT NULL THEN
        RAISE EXCEPTION 'the log is append-only (only a redaction may drop an entry body)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER log_entries_only_redact BEFORE UPDATE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION log_entries_only_redact();

-- Every complete perfect subtree of the Merkle tree, written once.
CREATE TABLE merkle_nodes (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION refuse_change('merkle nodes are written once');
CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION refuse_change('merkle nodes are written once');
CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('merkle nodes are written once');

-- As on SQLite, a checkpoint is never updated; nothing refuses a delete.
CREATE TABLE checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    note TEXT COLLATE "C" NOT NULL,
    signed_at TEXT COLLATE "C" NOT NULL
);
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_change('checkpoints are written once');

-- Projections: derived from the log in the same transaction, for queries.
CREATE TABLE contributions (
    id TEXT COLLATE "C" PRIMARY KEY,
    entry BIGINT NOT NULL,
    pool TEXT COLLATE "C" NOT NULL,
    contributor TEXT COLLATE "C" NOT NULL,
    minutes BIGINT NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    summary TEXT COLLATE "C" NOT NULL,
    published TEXT COLLATE "C" NOT NULL,
    claim TEXT COLLATE "C",
    status TEXT COLLATE "C" NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'validated', 'rejected')),
    decided_by TEXT COLLATE "C",
    reason TEXT COLLATE "C",
    decision_entry BIGINT
);
CREATE INDEX contributions_pool ON contributions (pool, status);
CREATE INDEX contributions_contributor ON contributions (contributor);
CREATE INDEX contributions_claim ON contributions (claim) WHERE claim IS NOT NULL;
CREATE TABLE endorsements (
    contribution TEXT COLLATE "C" NOT NULL,
    actor TEXT COLLATE "C" NOT NULL,
    activity_id TEXT COLLATE "C" NOT NULL,
    entry BIGINT NOT NULL,
    PRIMARY KEY (contribution, actor)
);

-- 2: federation: inbox items, outgoing activities, deliveries, follows, host preferences

CREATE TABLE inbox_items (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    activity_id TEXT COLLATE "C" NOT NULL UNIQUE,
    body BYTEA NOT NULL,
    actor TEXT COLLATE "C" NOT NULL,
    key_id TEXT COLLATE "C",
    recipient TEXT COLLATE "C",
    received_at TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL DEFAULT 'received'
        CHECK (state IN ('received', 'processed', 'ignored', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    error TEXT COLLATE "C",
    processed_at TEXT COLLATE "C",
    next_attempt_at TEXT COLLATE "C"  -- migration 7
);
CREATE INDEX inbox_items_state ON inbox_items (state, id);

CREATE TABLE outgoing (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    activity_id TEXT COLLATE "C" NOT NULL UNIQUE,
    sender TEXT COLLATE "C" NOT NULL,
    body BYTEA NOT NULL,
    recipients TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fanned-out')),
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX outgoing_state ON outgoing (state, id);

CREATE TABLE deliveries (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    activity_id TEXT COLLATE "C" NOT NULL,
    sender TEXT COLLATE "C" NOT NULL,
    inbox TEXT COLLATE "C",
    recipient TEXT COLLATE "C",
    host TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    last_status BIGINT,
    last_error TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    delivered_at TEXT COLLATE "C",
    UNIQUE (activity_id, inbox),
    CHECK ((inbox IS NULL) <> (recipient IS NULL))
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_host ON deliveries (host, state);
CREATE UNIQUE INDEX deliveries_recipient ON deliveries (activity_id, recipient)
    WHERE recipient IS NOT NULL;

CREATE TABLE follows (
    follower TEXT COLLATE "C" NOT NULL,
    followee TEXT COLLATE "C" NOT NULL,
    activity_id TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'accepted')),
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (follower, followee)
);
CREATE INDEX follows_followee ON follows (followee, state);

CREATE TABLE hosts (
    host TEXT COLLATE "C" PRIMARY KEY,
    signature_scheme TEXT COLLATE "C",
    updated_at TEXT COLLATE "C" NOT NULL
);

-- 3: log replication: mirrors of other logs, seen checkpoints, forks, witnessing

CREATE TABLE mirrors (
    origin TEXT COLLATE "C" PRIMARY KEY,
    url TEXT COLLATE "C" NOT NULL UNIQUE,
    actor TEXT COLLATE "C" NOT NULL,
    verifier_key TEXT COLLATE "C" NOT NULL,
    size BIGINT NOT NULL DEFAULT 0,
    root BYTEA NOT NULL,
    frontier BYTEA NOT NULL,
    checkpoint TEXT COLLATE "C",
    staged_size BIGINT NOT NULL DEFAULT 0,
    staged_frontier BYTEA NOT NULL,
    forked BIGINT NOT NULL DEFAULT 0,
    last_sync TEXT COLLATE "C",
    last_error TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    CHECK (staged_size >= size)
);
CREATE TABLE mirror_entries (
    origin TEXT COLLATE "C" NOT NULL REFERENCES mirrors (origin),
    idx BIGINT NOT NULL,
    leaf_hash BYTEA NOT NULL,
    body BYTEA,
    PRIMARY KEY (origin, idx)
);
-- Entries below the verified size are kept; staged ones past it may be dropped.
CREATE FUNCTION mirror_entries_keep_verified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.idx < (SELECT size FROM mirrors WHERE origin = OLD.origin) THEN
        RAISE EXCEPTION 'verified mirror entries are append-only'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER mirror_entries_keep_verified BEFORE DELETE ON mirror_entries
    FOR EACH ROW EXECUTE FUNCTION mirror_entries_keep_verified();
CREATE TRIGGER mirror_entries_no_truncate BEFORE TRUNCATE ON mirror_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('verified mirror entries are append-only');
CREATE FUNCTION mirror_entries_only_redact() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.origin IS DISTINCT FROM OLD.origin OR NEW.idx IS DISTINCT FROM OLD.idx
       OR NEW.leaf_hash IS DISTINCT FROM OLD.leaf_hash OR NEW.body IS NOT NULL THEN
        RAISE EXCEPTION 'mirror entries are append-only (only a redaction may drop a body)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER mirror_entries_only_redact BEFORE UPDATE ON mirror_entries
    FOR EACH ROW EXECUTE FUNCTION mirror_entries_only_redact();
CREATE TABLE mirror_nodes (
    origin TEXT COLLATE "C" NOT NULL,
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (origin, level, idx)
);
CREATE TABLE mirror_keys (
    origin TEXT COLLATE "C" NOT NULL,
    idx BIGINT NOT NULL,
    key_id TEXT COLLATE "C" NOT NULL,
    multibase TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (origin, idx, key_id)
);

CREATE TABLE seen_checkpoints (
    origin TEXT COLLATE "C" NOT NULL,
    size BIGINT NOT NULL,
    root BYTEA NOT NULL,
    note TEXT COLLATE "C" NOT NULL,
    source TEXT COLLATE "C" NOT NULL,
    seen_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (origin, size, root)
);
CREATE TABLE forks (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    origin TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    evidence TEXT COLLATE "C" NOT NULL,
    flag TEXT COLLATE "C",
    detected_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX forks_origin ON forks (origin);

CREATE TABLE witnessed (
    origin TEXT COLLATE "C" PRIMARY KEY,
    size BIGINT NOT NULL,
    root BYTEA NOT NULL,
    note TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE cosignatures (
    size BIGINT NOT NULL,
    witness TEXT COLLATE "C" NOT NULL,
    key_id BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    line TEXT COLLATE "C" NOT NULL,
    received_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (size, witness, key_id)
);
CREATE TABLE witness_peers (
    url TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    verifier_key TEXT COLLATE "C" NOT NULL,
    cosigned_size BIGINT NOT NULL DEFAULT 0,
    last_error TEXT COLLATE "C",
    updated_at TEXT COLLATE "C" NOT NULL
);

-- 4: the ActivityPub API: passwords, OAuth clients, codes and tokens, mailboxes

CREATE TABLE passwords (
    actor TEXT COLLATE "C" PRIMARY KEY,
    hash TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE oauth_clients (
    client_id TEXT COLLATE "C" PRIMARY KEY,
    client_name TEXT COLLATE "C",
    redirect_uris TEXT COLLATE "C" NOT NULL,
    metadata TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE oauth_codes (
    code_hash BYTEA PRIMARY KEY,
    grant_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    actor TEXT COLLATE "C" NOT NULL,
    redirect_uri TEXT COLLATE "C" NOT NULL,
    scope TEXT COLLATE "C" NOT NULL,
    code_challenge TEXT COLLATE "C" NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    used BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE oauth_tokens (
    token_hash BYTEA PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('access', 'refresh')),
    grant_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    actor TEXT COLLATE "C" NOT NULL,
    scope TEXT COLLATE "C" NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    state TEXT COLLATE "C" NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'rotated', 'revoked')),
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_actor ON oauth_tokens (actor, state);

CREATE TABLE mailbox (
    seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    box TEXT COLLATE "C" NOT NULL CHECK (box IN ('inbox', 'outbox')),
    actor TEXT COLLATE "C" NOT NULL,
    activity_id TEXT COLLATE "C" NOT NULL,
    source TEXT COLLATE "C" NOT NULL CHECK (source IN ('log', 'inbox', 'outgoing')),
    ref BIGINT NOT NULL,
    at TEXT COLLATE "C" NOT NULL,
    UNIQUE (box, actor, activity_id)
);
CREATE INDEX mailbox_actor ON mailbox (actor, box, at, seq);
CREATE TABLE mailbox_cursors (
    source TEXT COLLATE "C" PRIMARY KEY,
    position BIGINT NOT NULL
);

-- 5: cooperatives: members, sustained pools, distributions

CREATE TABLE coop_members (
    coop TEXT COLLATE "C" NOT NULL REFERENCES actors (id),
    person TEXT COLLATE "C" NOT NULL REFERENCES actors (id),
    PRIMARY KEY (coop, person)
);

CREATE TABLE coop_sustains (
    coop TEXT COLLATE "C" NOT NULL,
    pool TEXT COLLATE "C" NOT NULL,
    weight TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (coop, pool)
);
CREATE TABLE distributions (
    id TEXT COLLATE "C" PRIMARY KEY,
    coop TEXT COLLATE "C" NOT NULL,
    entry BIGINT NOT NULL,
    amount TEXT COLLATE "C" NOT NULL,
    currency TEXT COLLATE "C" NOT NULL,
    policy TEXT COLLATE "C" NOT NULL,
    period TEXT COLLATE "C",
    recipients BIGINT NOT NULL,
    published TEXT COLLATE "C" NOT NULL
);
CREATE INDEX distributions_coop ON distributions (coop, entry);

-- 6: sign-in sessions of the web pages

CREATE TABLE web_sessions (
    token_hash BYTEA PRIMARY KEY,
    actor TEXT COLLATE "C" NOT NULL REFERENCES actors (id),
    password_seal BYTEA NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX web_sessions_actor ON web_sessions (actor);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- 10: imports from sources of peer production: sources, runs, aliases, waiting items

CREATE TABLE import_sources (
    name TEXT COLLATE "C" PRIMARY KEY,
    pool TEXT COLLATE "C" NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    location TEXT COLLATE "C" NOT NULL,
    settings TEXT COLLATE "C" NOT NULL,
    cursor TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE import_runs (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    source TEXT COLLATE "C" NOT NULL,
    pool TEXT COLLATE "C" NOT NULL,
    started_at TEXT COLLATE "C" NOT NULL,
    finished_at TEXT COLLATE "C",
    items BIGINT NOT NULL DEFAULT 0,
    recorded BIGINT NOT NULL DEFAULT 0,
    waiting BIGINT NOT NULL DEFAULT 0,
    bots BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    minutes TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    validated BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX import_runs_pool ON import_runs (pool, id);
CREATE TABLE aliases (
    pool TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    actor TEXT COLLATE "C" NOT NULL,
    confirmed_by TEXT COLLATE "C" NOT NULL,
    confirmed_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (pool, key)
);
CREATE TABLE import_identities (
    pool TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    aka TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    bot BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (pool, key)
);
-- store/imports.py reads an identity's waiting items in the order they were recorded.
CREATE TABLE import_waiting (
    pool TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    item TEXT COLLATE "C" NOT NULL,
    run BIGINT NOT NULL,
    data TEXT COLLATE "C" NOT NULL,
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (pool, key, item)
);
CREATE TABLE import_sessions (
    source TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    last TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (source, key)
);
-- store/imports.py reads a run's contributions in the order they were recorded.
CREATE TABLE import_recorded (
    contribution TEXT COLLATE "C" PRIMARY KEY,
    run BIGINT NOT NULL,
    rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX import_recorded_run ON import_recorded (run);

-- 50: per-pool index of log entries

CREATE TABLE pool_index_pools (
    key BIGINT PRIMARY KEY,
    url TEXT COLLATE "C" NOT NULL
);
CREATE TABLE pool_index_entries (
    pool BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    filed BIGINT NOT NULL,
    PRIMARY KEY (pool, idx)
);
CREATE INDEX pool_index_entries_filed ON pool_index_entries (pool, filed);
CREATE TABLE pool_index_refs (
    ref BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    owns BIGINT,
    PRIMARY KEY (ref, idx)
);
CREATE TABLE pool_index_owners (
    ref BIGINT NOT NULL,
    pool BIGINT NOT NULL,
    PRIMARY KEY (ref, pool)
);
CREATE TABLE pool_index_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL
);
INSERT INTO pool_index_state (id, size) VALUES (1, 0);
CREATE TABLE pool_ledgers (
    pool BIGINT PRIMARY KEY,
    size BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    snapshot BYTEA NOT NULL
);

-- 51: a pool's contributions newest first, and how many it has, without reading them all

CREATE INDEX contributions_pool_entry ON contributions (pool, entry);
CREATE TABLE pool_contribution_counts (
    pool TEXT COLLATE "C" PRIMARY KEY,
    count BIGINT NOT NULL
);
-- Contributions are never deleted. An insert that ON CONFLICT DO NOTHING skips fires no
-- AFTER INSERT trigger, as an ignored INSERT OR IGNORE fires none on SQLite.
CREATE FUNCTION contributions_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pool_contribution_counts AS counts (pool, count) VALUES (NEW.pool, 1)
        ON CONFLICT (pool) DO UPDATE SET count = counts.count + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER contributions_counted AFTER INSERT ON contributions
    FOR EACH ROW EXECUTE FUNCTION contributions_counted();

-- 60: entry bodies may be stored compressed with a dictionary kept in the database
-- (log_entries.dictionary is declared with the table above)

CREATE TABLE body_dictionaries (
    key BIGINT PRIMARY KEY,
    dictionary BYTEA NOT NULL,
    trained_at_size BIGINT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE TRIGGER body_dictionaries_no_update BEFORE UPDATE ON body_dictionaries
    FOR EACH ROW EXECUTE FUNCTION refuse_change('body dictionaries are written once');
CREATE TRIGGER body_dictionaries_no_delete BEFORE DELETE ON body_dictionaries
    FOR EACH ROW EXECUTE FUNCTION refuse_change('body dictionaries are written once');
CREATE TRIGGER body_dictionaries_no_truncate BEFORE TRUNCATE ON body_dictionaries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('body dictionaries are written once');

-- 62: redactions of the log and of mirrors

CREATE TABLE redactions (
    idx BIGINT PRIMARY KEY,
    notice BIGINT NOT NULL UNIQUE,
    retained BYTEA NOT NULL
);
CREATE TRIGGER redactions_no_update BEFORE UPDATE ON redactions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('redactions are written once');
CREATE TRIGGER redactions_no_delete BEFORE DELETE ON redactions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('redactions are written once');
CREATE TRIGGER redactions_no_truncate BEFORE TRUNCATE ON redactions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('redactions are written once');
CREATE TABLE mirror_redactions (
    origin TEXT COLLATE "C" NOT NULL REFERENCES mirrors (origin),
    idx BIGINT NOT NULL,
    notice BIGINT NOT NULL,
    leaf_hash BYTEA NOT NULL,
    retained BYTEA NOT NULL,
    PRIMARY KEY (origin, idx)
);
CREATE FUNCTION mirror_redactions_keep_verified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.notice < (SELECT size FROM mirrors WHERE origin = OLD.origin) THEN
        RAISE EXCEPTION 'verified mirror redactions are kept'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER mirror_redactions_keep_verified BEFORE DELETE ON mirror_redactions
    FOR EACH ROW EXECUTE FUNCTION mirror_redactions_keep_verified();
CREATE TRIGGER mirror_redactions_no_truncate BEFORE TRUNCATE ON mirror_redactions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('verified mirror redactions are kept');

-- 70: governance: pools' settings, proposals and their outcomes

CREATE TABLE governed (
    actor TEXT COLLATE "C" PRIMARY KEY REFERENCES actors (id),
    settings TEXT COLLATE "C" NOT NULL
);
CREATE TABLE proposals (
    id TEXT COLLATE "C" PRIMARY KEY,
    governs TEXT COLLATE "C" NOT NULL,
    entry BIGINT NOT NULL,
    proposer TEXT COLLATE "C",
    title TEXT COLLATE "C" NOT NULL,
    end_time TEXT COLLATE "C" NOT NULL,
    outcome TEXT COLLATE "C",
    tally TEXT COLLATE "C",
    settled_at TEXT COLLATE "C"
);
CREATE INDEX proposals_governs ON proposals (governs, end_time);
CREATE INDEX proposals_due ON proposals (end_time) WHERE settled_at IS NULL;
CREATE TABLE delegations (
    id TEXT COLLATE "C" PRIMARY KEY,
    delegator TEXT COLLATE "C" NOT NULL,
    delegate TEXT COLLATE "C" NOT NULL,
    scope TEXT COLLATE "C" NOT NULL,
    published TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C",
    entry BIGINT NOT NULL
);
CREATE INDEX delegations_scope ON delegations (scope, delegator);

-- 80: payee details for the bookkeeper, private to this node

CREATE TABLE payees (
    actor TEXT COLLATE "C" PRIMARY KEY,
    legal_name TEXT COLLATE "C" NOT NULL,
    bank_details TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);

-- 100: blocked domains and actors

CREATE TABLE blocks (
    target TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('domain', 'actor')),
    reason TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL
);

-- 130: a cooperative's default payout constraints

CREATE TABLE coop_payout_defaults (
    coop TEXT COLLATE "C" PRIMARY KEY,
    constraints TEXT COLLATE "C" NOT NULL
);

-- 131: the last Update of each poll's count sent to its followers (a new database has no
-- proposals, so none is marked done)

CREATE TABLE poll_updates (
    proposal TEXT COLLATE "C" PRIMARY KEY,
    voters BIGINT NOT NULL,
    options TEXT COLLATE "C" NOT NULL,
    sent_at DOUBLE PRECISION NOT NULL,
    final BIGINT NOT NULL DEFAULT 0
);
