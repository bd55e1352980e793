"""`fedcommons backup` and the restore of its file: a consistent copy while a server
writes, keys sealed with a passphrase, and a damaged or altered file refused."""

import asyncio
import hashlib
import io
import json
import tarfile

import pytest
import support_db
from support_cli import invoke, run
from support_nodes import RunningNode

from fedcommons.config import load_config
from fedcommons.errors import BadInput
from fedcommons.home import open_node
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.backup import sealing
from fedcommons.services.backup.archive import write_backup
from fedcommons.services.backup.restore import restore_home
from fedcommons.services.contributions.contributions import contribute
from fedcommons.store import log as log_store


def garden(home) -> None:
    node = open_node(home)
    try:
        create_actor(node, "person", "alice")
        create_pool(node, "garden", name="Garden", stewards=["alice"])
        for i in range(5):
            contribute(node, pool="garden", person="alice", effort="1h", kind="care", summary=f"c{i}")
    finally:
        node.close()


@pytest.fixture
def home(tmp_path):
    run(tmp_path / "a", "init", "--url", "http://127.0.0.1:8080")
    garden(tmp_path / "a")
    return tmp_path / "a"


def test_scrypt_matches_the_rfc_7914_vector():
    derived = sealing.derive_key(b"password", b"NaCl", n=1024, r=8, p=16, length=64)
    assert derived.hex() == (
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")


def test_sealed_keys_open_with_the_passphrase_only(monkeypatch):
    monkeypatch.setattr(sealing, "COST", {"n": 2 ** 10, "r": 8, "p": 1})  # the format, not the cost, is tested
    sealed = sealing.seal(b"private keys", "correct horse", b"127.0.0.1:8080")
    assert sealed.ciphertext != b"private keys" and b"private keys" not in sealed.ciphertext
    assert sealing.unseal(sealed.ciphertext, sealed.header, "correct horse", b"127.0.0.1:8080") == b"private keys"
    with pytest.raises(BadInput, match="wrong passphrase"):
        sealing.unseal(sealed.ciphertext, sealed.header, "correct horsf", b"127.0.0.1:8080")
    altered = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    with pytest.raises(BadInput, match="wrong passphrase"):
        sealing.unseal(altered, sealed.header, "correct horse", b"127.0.0.1:8080")
    with pytest.raises(BadInput):  # another node's sealed keys do not pass for this one's
        sealing.unseal(sealed.ciphertext, sealed.header, "correct horse", b"other.example")


@pytest.mark.sqlite_only(support_db.BACKUP_COPIES_SQLITE)
async def test_backup_is_one_snapshot_while_the_server_writes(tmp_path, home):
    served = RunningNode(home, 0)
    served.url = "http://127.0.0.1:8080"
    await served.start(workers=False)
    writer = open_node(home)
    steps = []

    def write_between_steps(done, total):
        # The node grows between copy steps: the copy must still be the log of one instant.
        steps.append((done, total))
        if len(steps) <= 3:
            contribute(writer, pool="garden", person="alice", effort="1h", kind="care", summary=f"during {done}")

    try:
        before = log_store.log_size(writer.db)
        manifest = write_backup(load_config(home), tmp_path / "a.tar", pages=4, progress=write_between_steps)
        after = log_store.log_size(writer.db)
    finally:
        writer.close()
        await served.stop()
    assert len(steps) > 3 and steps[-1][0] == steps[-1][1]  # many steps, and the bar reached its end
    assert after == before + 3
    assert manifest.log_size == before
    # The CLI runs its own event loop: off this one.
    await asyncio.to_thread(run, tmp_path / "r", "restore", str(tmp_path / "a.tar"))
    verified = run(tmp_path / "r", "log", "verify").stdout
    assert f"{before} entries" in verified and manifest.log_root.hex() in verified


@pytest.mark.sqlite_only(support_db.BACKUP_COPIES_SQLITE)
def test_encrypted_round_trip_and_wrong_passphrase(tmp_path, home, monkeypatch):
    monkeypatch.setattr(sealing, "COST", {"n": 2 ** 10, "r": 8, "p": 1})
    (tmp_path / "pass").write_text("a long passphrase\n")
    (tmp_path / "wrong").write_text("another one\n")
    run(home, "backup", str(tmp_path / "a.tar"), "--passphrase-file", str(tmp_path / "pass"))
    with tarfile.open(tmp_path / "a.tar") as tar:
        names = tar.getnames()
        sealed = tar.extractfile("keys.tar.sealed").read()
    assert "keys.tar" not in names and b"PRIVATE KEY" not in sealed
    result = invoke(tmp_path / "r", "restore", str(tmp_path / "a.tar"), "--passphrase-file", str(tmp_path / "wrong"))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == "error: wrong passphrase (or the backup's sealed keys were altered)"
    assert not (tmp_path / "r").exists()
    # Asked on the terminal when no file gives it.
    run(tmp_path / "r", "restore", str(tmp_path / "a.tar"), input="a long passphrase\n")
    assert run(tmp_path / "r", "log", "checkpoint", "--verifier-key").stdout == \
        run(home, "log", "checkpoint", "--verifier-key").stdout
    # The restored node signs with the same key: its next checkpoint verifies as the old ones did.
    run(tmp_path / "r", "actor", "add", "bob")
    run(tmp_path / "r", "log", "verify")


@pytest.mark.sqlite_only(support_db.BACKUP_COPIES_SQLITE)
def test_backup_asks_twice_for_a_new_passphrase(tmp_path, home, monkeypatch):
    monkeypatch.setattr(sealing, "COST", {"n": 2 ** 10, "r": 8, "p": 1})
    result = invoke(home, "backup", str(tmp_path / "a.tar"), "--encrypt", input="one\ntwo\none\none\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.stderr
    run(tmp_path / "r", "restore", str(tmp_path / "a.tar"), input="one\n")


def _rewrite(source, target, member, change):
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for info in old.getmembers():
            data = old.extractfile(info).read()
            if info.name == member:
                data = change(data)
                info.size = len(data)
            new.addfile(info, io.BytesIO(data))


@pytest.mark.sqlite_only(support_db.BACKUP_COPIES_SQLITE)
@pytest.mark.parametrize("member", ["fedcommons.db", "config.json", "keys.tar"])
def test_a_tampered_backup_is_refused_and_nothing_restored(tmp_path, home, member):
    run(home, "backup", str(tmp_path / "a.tar"))
    _rewrite(tmp_path / "a.tar", tmp_path / "b.tar", member, lambda data: data[:-1] + bytes([data[-1] ^ 1]))
    result = invoke(tmp_path / "r", "restore", str(tmp_path / "b.tar"))
    assert result.exit_code == 2
    assert f"{member} does not match its checksum" in result.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.sqlite_only(support_db.BACKUP_COPIES_SQLITE)
def test_not_a_backup_and_an_existing_target(tmp_path, home):
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all" * 100)
    result = invoke(tmp_path / "r", "restore", str(tmp_path / "junk.tar"))
    assert result.exit_code == 2 and "is not a fedcommons backup" in result.stderr
    run(home, "backup", str(tmp_path / "a.tar"))
    result = invoke(home, "backup", str(tmp_path / "a.tar"))
    assert result.exit_code == 2 and "already exists" in result.stderr
    result = invoke(home, "restore", str(tmp_path / "a.tar"))
    assert result.exit_code == 2 and "is not empty" in result.stderr


@pytest.mark.sqlite_only(support_db.BACKUP_COPIES_SQLITE)
def test_a_sealed_backup_does_not_open_with_another_database_and_a_matching_manifest(tmp_path, home, monkeypatch):
    monkeypatch.setattr(sealing, "COST", {"n": 2 ** 10, "r": 8, "p": 1})
    (tmp_path / "pass").write_text("a long passphrase\n")
    run(home, "backup", str(tmp_path / "a.tar"), "--passphrase-file", str(tmp_path / "pass"))
    with tarfile.open(tmp_path / "a.tar") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        database = tar.extractfile("fedcommons.db").read()
    altered = database[:-1] + bytes([database[-1] ^ 1])
    manifest["files"]["fedcommons.db"] = hashlib.sha256(altered).hexdigest()
    changes = {"fedcommons.db": lambda _: altered, "manifest.json": lambda _: json.dumps(manifest).encode()}
    with tarfile.open(tmp_path / "a.tar") as old, tarfile.open(tmp_path / "b.tar", "w") as new:
        for info in old.getmembers():
            data = old.extractfile(info).read()
            data = changes.get(info.name, lambda d: d)(data)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    result = invoke(tmp_path / "r", "restore", str(tmp_path / "b.tar"), "--passphrase-file", str(tmp_path / "pass"))
    assert result.exit_code == 2 and "sealed keys were altered" in result.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.sqlite_only(support_db.BACKUP_COPIES_SQLITE)
def test_restore_reports_its_progress_through_the_database(tmp_path, home):
    run(home, "backup", str(tmp_path / "a.tar"))
    seen = []
    restore_home(tmp_path / "a.tar", tmp_path / "r", lambda: pytest.fail("the keys are not sealed"),
                 lambda done, total: seen.append((done, total)))
    size = (tmp_path / "r" / "fedcommons.db").stat().st_size
    assert seen and seen[-1] == (size, size) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert (tmp_path / "r" / "reconcile-pending.json").exists()  # held until reconciled


@pytest.mark.postgresql_only("the refusal of a node whose data live in PostgreSQL")
def test_a_node_on_postgresql_is_refused_in_one_line_with_what_to_use_instead(tmp_path, home):
    result = invoke(home, "backup", str(tmp_path / "a.tar"))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "this node's data live in PostgreSQL at postgresql://" in line and "pg_dump" in line
    assert not (tmp_path / "a.tar").exists()
