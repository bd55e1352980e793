"""The node core through its command line: what a newcomer types, and what must be refused."""

import json
import os
import sqlite3
import stat

import pytest
import support_db
from support_cli import entries, run

URL = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    """A node with two people, a pool and one contribution (built once; tests copy it)."""
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    run(home, "actor", "add", "alice", "--display-name", "Alice")
    run(home, "actor", "add", "bob")
    run(home, "actor", "add", "carol")
    run(home, "pool", "create", "garden", "--name", "Garden", "--steward", "bob", "--license", "MIT")
    return home


def contribute(home, **overrides):
    fields = {"pool": "garden", "as": "alice", "effort": "2h30m", "kind": "code",
              "summary": "fixed the parser", **overrides}
    args = ["contribute"]
    for key, value in fields.items():
        args += [f"--{key}", value]
    return run(home, *args).stdout.strip()


def test_init_creates_keys_readable_only_by_owner(base_home):
    key_files = list((base_home / "keys").rglob("*.pem"))
    assert len(key_files) == 2 * 5  # node, alice, bob, carol, garden: Ed25519 + RSA each
    for path in key_files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_init_twice_is_refused(base_home):
    result = run(base_home, "init", "--url", URL, code=2)
    assert "already a node home" in result.stderr


def test_actor_show_json_has_both_keys(home):
    doc = json.loads(run(home, "actor", "show", "alice", "--format", "json").stdout)
    assert doc["id"] == f"{URL}/users/alice"
    assert doc["type"] == "Person"
    assert doc["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert doc["publicKey"]["owner"] == doc["id"]
    method = doc["assertionMethod"][0]
    assert method["type"] == "Multikey" and method["publicKeyMultibase"].startswith("z6Mk")
    for field in ("inbox", "outbox", "followers", "following"):
        assert doc[field].startswith(doc["id"])
    assert doc["endpoints"]["sharedInbox"] == f"{URL}/inbox"


def test_pool_actor_lists_stewards_and_license(home):
    doc = json.loads(run(home, "actor", "show", "garden", "--format", "json").stdout)
    assert doc["type"] == ["Group", "CommonPool"]
    assert doc["stewards"] == [f"{URL}/users/bob"]
    assert doc["license"] == "MIT"


def test_contribution_is_logged_with_proof(home):
    cid = contribute(home, evidence="https://git.example/c/1")
    last = entries(home)[-1]
    activity = last["activity"]
    assert activity["type"] == "Create" and activity["actor"] == f"{URL}/users/alice"
    obj = activity["object"]
    assert obj["id"] == cid
    assert obj["type"] == ["Note", "Contribution"]
    assert obj["effortQuantity"]["hasNumericalValue"] == 150
    assert "Alice put 2 h 30 min of code into Garden: fixed the parser" in obj["content"]
    assert obj["evidence"] == ["https://git.example/c/1"]
    assert activity["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert activity["proof"]["verificationMethod"] == f"{URL}/users/alice#ed25519-key"
    assert len(bytes.fromhex(last["leaf_hash"])) == 32


def test_validate_and_endorse_then_verify(home):
    cid = contribute(home)
    run(home, "endorse", cid, "--as", "carol")
    run(home, "validate", cid, "--as", "bob")
    kinds = [e["activity"]["type"] for e in entries(home)[-2:]]
    assert kinds == ["Like", "Accept"]
    result = run(home, "log", "verify", "--format", "json")
    report = json.loads(result.stdout)
    assert report["ok"] and report["entries"] == len(entries(home))
    assert report["proofs"] == report["entries"]


def test_checkpoint_is_a_signed_note_for_the_current_size(home):
    from fedcommons.log.checkpoint import parse_checkpoint
    from fedcommons.sig.note import open_note, parse_verifier_key

    contribute(home)
    note = run(home, "log", "checkpoint").stdout
    vkey = run(home, "log", "checkpoint", "--verifier-key").stdout.strip()
    assert vkey.startswith("127.0.0.1:8080+")
    opened = open_note(note, [parse_verifier_key(vkey)])
    checkpoint = parse_checkpoint(opened.text)
    assert checkpoint.origin == "127.0.0.1:8080"
    assert checkpoint.size == len(entries(home))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"effort": "-1h"}, "effort must be positive"),
        ({"effort": "0m"}, "effort must be positive"),
        ({"effort": "a while"}, "cannot read effort"),
        ({"pool": "nowhere"}, "no local pool named 'nowhere'"),
        ({"as": "mallory"}, "no local person named 'mallory'"),
        ({"kind": "sorcery"}, "unknown kind 'sorcery'"),
        ({"evidence": "ftp://git.example/c/1"}, "evidence must be http(s) URLs"),
        ({"evidence": "https:///c/1"}, "evidence must be http(s) URLs"),
        ({"evidence": "https://git.example/a commit"}, "evidence must be http(s) URLs"),
        ({"evidence": "git.example/c/1"}, "evidence must be http(s) URLs"),
    ],
)
def test_bad_contribution_exits_2_and_writes_nothing(home, overrides, message):
    before = entries(home)
    fields = {"pool": "garden", "as": "alice", "effort": "1h", "kind": "code", "summary": "x", **overrides}
    args = ["contribute"] + [part for k, v in fields.items() for part in (f"--{k}", v)]
    result = run(home, *args, code=2)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert entries(home) == before


def test_steward_cannot_validate_own_contribution(home):
    cid = contribute(home, **{"as": "bob"})
    before = entries(home)
    result = run(home, "validate", cid, "--as", "bob", code=2)
    assert "cannot validate their own contribution" in result.stderr
    assert entries(home) == before


def test_second_validation_is_refused(home):
    cid = contribute(home)
    run(home, "validate", cid, "--as", "bob")
    before = entries(home)
    result = run(home, "validate", cid, "--as", "bob", "--reject", "--reason", "changed my mind", code=2)
    assert "already validated" in result.stderr
    assert entries(home) == before


def test_non_steward_cannot_validate(home):
    cid = contribute(home)
    result = run(home, "validate", cid, "--as", "carol", code=2)
    assert "not a steward" in result.stderr


def test_rejection_needs_a_reason_and_records_it(home):
    cid = contribute(home)
    run(home, "validate", cid, "--as", "bob", "--reject", code=2)
    run(home, "validate", cid, "--as", "bob", "--reject", "--reason", "not in scope")
    last = entries(home)[-1]["activity"]
    assert last["type"] == "Reject" and last["content"] == "not in scope"
    assert last["to"] == [f"{URL}/users/alice"]


def test_import_jsonl_and_csv(home, tmp_path):
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(
        json.dumps({"pool": "garden", "as": "alice", "effort": "1h", "kind": "code", "summary": "a"}) + "\n"
        + json.dumps({"pool": "garden", "as": "carol", "effort": "30m", "kind": "care", "summary": "b",
                      "evidence": ["https://x.example/1"], "date": "2026-10-01"}) + "\n"
    )
    out = json.loads(run(home, "import", "contributions", str(jsonl), "--format", "json").stdout)
    assert out["written"] == 2 and out["bad"] == []
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("pool,as,effort,kind,summary,evidence\ngarden,bob,2h,review,c,https://y.example/2\n")
    run(home, "import", "contributions", str(csv_file))
    objects = [e["activity"]["object"] for e in entries(home)[-3:]]
    assert [o["name"] for o in objects] == ["a", "b", "c"]
    assert objects[1]["published"] == "2026-10-01T00:00:00Z"
    assert objects[2]["evidence"] == ["https://y.example/2"]
    run(home, "log", "verify")


def test_import_bad_row_names_line_and_writes_nothing(home, tmp_path):
    before = entries(home)
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps({"pool": "garden", "as": "alice", "effort": "1h", "kind": "code", "summary": "ok"}) + "\n"
        + json.dumps({"pool": "garden", "as": "alice", "effort": "-2h", "kind": "code", "summary": "bad"}) + "\n"
        + "{not json\n"
    )
    result = run(home, "import", "contributions", str(path), code=2)
    assert f"{path}:2:" in result.stderr and "effort must be positive" in result.stderr
    assert entries(home) == before
    result = run(home, "import", "contributions", str(path), "--skip-bad", "--format", "json")
    out = json.loads(result.stdout)
    assert out["written"] == 1 and [b["line"] for b in out["bad"]] == [2, 3]
    assert len(entries(home)) == len(before) + 1


def test_the_log_refuses_updates_and_deletes(home):
    with support_db.connection(home) as db:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.conn.execute("DELETE FROM log_entries WHERE idx = 0")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.conn.execute("UPDATE log_entries SET body = ? WHERE idx = 0", (b"\x00",))
        with pytest.raises(sqlite3.IntegrityError, match="written once"):
            db.conn.execute("UPDATE merkle_nodes SET hash = ? WHERE level = 0 AND idx = 0", (b"\x00",))


def test_verify_catches_a_changed_byte_in_any_entry(home):
    cid = contribute(home)
    run(home, "validate", cid, "--as", "bob")
    count = len(entries(home))
    for idx in range(count):
        [(body,)] = support_db.query(home, "SELECT body FROM log_entries WHERE idx = ?", (idx,))
        position = (idx * 37) % len(body)
        changed = body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1:]
        support_db.tamper(home, "UPDATE log_entries SET body = ? WHERE idx = ?", (changed, idx))
        result = run(home, "log", "verify", code=1)
        assert f"entry {idx} " in result.stderr, result.stderr
        support_db.tamper(home, "UPDATE log_entries SET body = ? WHERE idx = ?", (body, idx))
    run(home, "log", "verify")


@pytest.mark.sqlite_only("flips bytes in the SQLite file itself, after a WAL checkpoint")
def test_verify_catches_a_byte_flipped_in_the_database_file(home):
    contribute(home, summary="watering-the-tomatoes-marker")
    db_path = home / "fedcommons.db"
    sqlite3.connect(db_path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    data = bytearray(db_path.read_bytes())
    # The marker is in the entry's bytes and in the projection tables: change every copy.
    at = data.find(b"watering-the-tomatoes-marker")
    assert at > 0
    while at > 0:
        data[at] ^= 0x20
        at = data.find(b"watering-the-tomatoes-marker", at + 1)
    db_path.write_bytes(bytes(data))
    result = run(home, "log", "verify", code=1)
    assert "entry" in result.stderr and "leaf hash" in result.stderr


def test_verify_catches_a_forged_checkpoint(home):
    [(size, note)] = support_db.query(home, "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1")
    lines = note.split("\n")
    lines[1] = str(size)  # unchanged size; now break the signature line
    sig_line = lines[-2]
    lines[-2] = sig_line[:-4] + ("AAAA" if not sig_line.endswith("AAAA") else "BBBB")
    support_db.tamper(home, "UPDATE checkpoints SET note = ? WHERE size = ?", ("\n".join(lines), size))
    result = run(home, "log", "verify", code=1)
    assert f"checkpoint at size {size}" in result.stderr


def test_init_exist_ok_keeps_the_home_and_refuses_another_url(base_home):
    before = support_db.contents(base_home)
    result = run(base_home, "init", "--url", URL, "--exist-ok")
    assert "already" in result.stdout
    assert support_db.contents(base_home) == before
    result = run(base_home, "init", "--url", "http://127.0.0.1:9090", "--exist-ok", code=2)
    assert "not http://127.0.0.1:9090" in result.stderr


def test_verify_checks_proofs_in_worker_processes_and_names_the_first_bad_entry(home, tmp_path, monkeypatch):
    from fedcommons.home import open_node
    from fedcommons.ld.canonical import canonicalize
    from fedcommons.log.merkle import leaf_hash
    from fedcommons.services.log import proof_checks
    from fedcommons.services.log.verify import verify_log

    rows = "".join(json.dumps({"pool": "garden", "as": "alice", "effort": "1h", "kind": "code",
                               "summary": f"work {i}"}) + "\n" for i in range(240))
    (tmp_path / "w.jsonl").write_text(rows)
    run(home, "import", "contributions", str(tmp_path / "w.jsonl"))
    monkeypatch.setattr(proof_checks, "PAGE", 40)  # several pages, so they go to the workers
    node = open_node(home)
    report = verify_log(node, workers=2)
    assert report.entries == report.proofs == len(entries(home))
    node.close()

    # Re-sign nothing, but change an entry's words and make its hashes agree with them:
    # only its object proof can tell, and it is checked in a worker.
    target = 150
    [(body,)] = support_db.query(home, "SELECT body FROM log_entries WHERE idx = ?", (target,))
    activity = json.loads(body)
    activity["object"]["name"] = "work I did not do"
    forged = canonicalize(activity)
    support_db.tamper(home, "UPDATE log_entries SET body = ?, leaf_hash = ? WHERE idx = ?",
                      (forged, leaf_hash(forged), target))
    node = open_node(home)
    with pytest.raises(Exception, match=f"entry {target} .*proof does not verify"):
        verify_log(node, workers=2)
    node.close()
