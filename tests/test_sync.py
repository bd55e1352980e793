"""Replicating logs between real nodes on 127.0.0.1, and catching peers that lie.

The syncing side opens its own connection to its node's database, as the CLI does.
"""

import asyncio
import base64
import json
import os
import random
import signal
import sys

import pytest
import support_db
from support_cli import invoke
from support_logs import FakePeer, History, by_requester, change_summary
from support_nodes import RunningNode, eventually, follow_from

from fedcommons.app import SYNC
from fedcommons.errors import FetchError, IntegrityError, VerificationError
from fedcommons.federation.client import Client
from fedcommons.home import open_node
from fedcommons.ld.canonical import canonicalize
from fedcommons.log.fork import verify_evidence
from fedcommons.log.merkle import leaf_hash
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute
from fedcommons.services.replication import mirror_verify
from fedcommons.services.replication import mirrors as mirror_service
from fedcommons.services.replication.mirror_verify import verify_mirror
from fedcommons.services.replication.sync import sync_peer
from fedcommons.sig.keys import generate_ed25519
from fedcommons.sig.note import NoteSigner
from fedcommons.store import log as log_store
from fedcommons.store import mirrors as mirror_store
from fedcommons.store import outgoing as outgoing_store
from fedcommons.web.wellknown import nodeinfo_metadata


def populate(node, contributions: int = 20) -> None:
    create_actor(node, "person", "alice")
    create_actor(node, "person", "bob")
    create_pool(node, "garden", name="Garden", stewards=["bob"])
    add(node, contributions)


def add(node, count: int, tag: str = "c") -> None:
    for i in range(count):
        contribute(node, pool="garden", person="alice", effort="1h", kind="code", summary=f"{tag}{i}")


async def sync(home, url, **options):
    """Sync as a separate process would: its own connection and client."""
    node = open_node(home)
    client = Client(node, max_bytes=16 * 1024 * 1024)
    try:
        return await sync_peer(node, client, url, **options)
    finally:
        await client.close()
        node.close()


def snapshot(home, origin):
    node = open_node(home)
    try:
        row = mirror_store.mirror(node.db, origin)
        return row, [(e.idx, e.leaf_hash, e.body) for e in mirror_store.iter_entries(node.db, origin)]
    finally:
        node.close()


def staged(home, origin) -> int:
    """How many entries a mirror holds, staged or verified (0 before it exists)."""
    node = open_node(home)
    try:
        row = mirror_store.mirror(node.db, origin)
        return row.staged_size if row else 0
    finally:
        node.close()


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


@pytest.fixture
async def pair(tmp_path):
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    populate(open_node(a.home), 20)
    await a.start()
    await b.start()
    yield a, b
    await a.stop()
    await b.stop()


async def test_sync_mirrors_every_entry_and_resumes_where_it_stopped(pair):
    a, b = pair
    result = await sync(b.home, a.url, page_size=7)
    size = log_store.log_size(a.node.db)
    assert (result.before, result.size, result.fetched, result.checkpoint_size) == (0, size, size, size)
    assert result.proofs == size and result.unchecked == 0 and result.forks == []
    origin = result.origin
    row, entries = snapshot(b.home, origin)
    assert row.size == row.staged_size == size and row.root == log_store.latest_checkpoint(a.node.db)[1]
    assert entries == [(r.idx, r.leaf_hash, r.body) for r in log_store.iter_entries(a.node.db)]

    add(a.node, 9, "later")
    again = await sync(b.home, a.url, page_size=4)
    assert (again.before, again.fetched, again.size) == (size, 9, size + 9)
    # Only the new entries were asked for.
    nothing = await sync(b.home, a.url)
    assert nothing.fetched == 0 and nothing.size == size + 9

    report = verify_mirror(open_node(b.home), origin)
    assert report.entries == size + 9 and report.proofs == size + 9 and report.checkpoints >= 2
    assert report.nodes > 0 and report.staged == 0

    result = invoke(b.home, "peers", "--format", "json")
    assert result.exit_code == 0
    [peer] = json.loads(result.stdout)
    assert peer["origin"] == origin and peer["size"] == size + 9 and not peer["forked"]
    assert peer["last_error"] is None and peer["last_sync"]
    result = invoke(b.home, "log", "verify", "--origin", a.url, "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"]


async def test_pages_checked_in_other_processes_give_the_same_mirror(pair):
    a, b = pair
    create_actor(a.node, "person", "dora")  # a key published mid-log, in a page examined in parallel
    for i in range(6):
        contribute(a.node, pool="garden", person="dora", effort="2h", kind="care", summary=f"d{i}")
    size = log_store.log_size(a.node.db)
    result = await sync(b.home, a.url, page_size=3, workers=2)
    assert (result.size, result.fetched, result.proofs) == (size, size, size)
    _, entries = snapshot(b.home, result.origin)
    assert entries == [(r.idx, r.leaf_hash, r.body) for r in log_store.iter_entries(a.node.db)]
    assert verify_mirror(open_node(b.home), result.origin).proofs == size


@pytest.fixture
async def mirrored(pair, monkeypatch):
    """B holds a verified mirror of A whose batches (of 5) span a key published mid-log."""
    a, b = pair
    create_actor(a.node, "person", "dora")
    for i in range(6):
        contribute(a.node, pool="garden", person="dora", effort="2h", kind="care", summary=f"d{i}")
    result = await sync(b.home, a.url, page_size=8)
    monkeypatch.setattr(mirror_verify, "BATCH", 5)
    return b, result.origin, log_store.log_size(a.node.db)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_stored_mirror_verifies_offline_here_or_in_checking_processes(mirrored, workers):
    b, origin, size = mirrored
    report = verify_mirror(open_node(b.home), origin, workers=workers)
    assert (report.entries, report.proofs, report.unchecked) == (size, size, 0)
    assert report.checkpoints >= 1 and report.nodes > 0


@pytest.mark.parametrize("workers", [0, 2])
def test_an_altered_stored_mirror_entry_is_named(mirrored, workers):
    b, origin, size = mirrored
    [(body,)] = support_db.query(b.home, "SELECT body FROM mirror_entries WHERE origin = ? AND idx = 17", (origin,))
    support_db.tamper(b.home, "UPDATE mirror_entries SET body = ? WHERE origin = ? AND idx = 17",
                      (body.replace(b"d", b"e", 1), origin))  # what a disk editor could do
    node = open_node(b.home)
    with pytest.raises(IntegrityError, match="entry 17: the activity does not hash to its leaf hash"):
        verify_mirror(node, origin, workers=workers)
    assert invoke(b.home, "log", "verify", "--origin", origin, "--workers", str(workers)).exit_code == 1


async def test_a_bounded_sync_stages_pages_until_a_checkpoint_covers_them(pair):
    a, b = pair
    size = log_store.log_size(a.node.db)
    partial = await sync(b.home, a.url, page_size=5, max_pages=2)
    assert partial.fetched == 10 and partial.size == 0 and not partial.complete
    row, entries = snapshot(b.home, partial.origin)
    assert row.size == 0 and row.staged_size == 10
    assert entries == []  # readers only see what a signed checkpoint covers
    rest = await sync(b.home, a.url, page_size=5)
    assert rest.fetched == size - 10 and rest.size == size
    assert verify_mirror(open_node(b.home), rest.origin).entries == size


async def test_a_failure_between_pages_leaves_no_gap_and_no_duplicate(pair, monkeypatch):
    a, b = pair
    size = log_store.log_size(a.node.db)
    real = mirror_service.store_page
    calls = []

    def failing(node, origin, page, covering=None):
        calls.append(page.entries[0][0])
        if len(calls) == 3:
            raise OSError("disk unplugged")
        return real(node, origin, page, covering)

    monkeypatch.setattr(mirror_service, "store_page", failing)
    with pytest.raises(OSError):
        await sync(b.home, a.url, page_size=4)
    monkeypatch.setattr(mirror_service, "store_page", real)
    result = await sync(b.home, a.url, page_size=4)
    assert result.fetched == size - 8 and result.size == size
    _, entries = snapshot(b.home, result.origin)
    assert [e[0] for e in entries] == list(range(size))
    assert verify_mirror(open_node(b.home), result.origin).entries == size


async def test_killing_the_sync_process_at_any_moment_loses_nothing(tmp_path):
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    node = open_node(a.home)
    populate(node, 5)
    from fedcommons.services.importing.importing import import_contributions

    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"pool": "garden", "as": "alice", "effort": "1h", "kind": "code",
                                        "summary": f"bulk {i}"}) + "\n" for i in range(1000)))
    import_contributions(node, rows)
    size = log_store.log_size(node.db)
    node.close()
    await a.start()
    rng = random.Random(4)
    origin = f"127.0.0.1:{a.port}"
    command = [sys.executable, "-m", "fedcommons", "--home", str(b.home), "sync", a.url, "--page-size", "40"]
    progress = []
    try:
        kills = 0
        # The first run checks pages in worker processes, which must not outlive it.
        for workers in ("2", "0", "0"):
            process = await asyncio.create_subprocess_exec(*command, "--workers", workers,
                                                           stdout=asyncio.subprocess.DEVNULL,
                                                           stderr=asyncio.subprocess.DEVNULL)
            # Wait (bounded) until this run has written something, then kill it a moment later.
            before = staged(b.home, origin)
            for _ in range(300):
                if staged(b.home, origin) > before or process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            helpers = children(process.pid)
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            await asyncio.wait_for(process.wait(), 20)
            progress.append(staged(b.home, origin))
            await eventually(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in helpers), timeout=10)
        final = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                     stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(final.communicate(), 60)
        assert final.returncode == 0, err.decode()
    finally:
        await a.stop()
    assert kills >= 1
    assert any(0 < done < size for done in progress), progress  # killed in the middle
    row, entries = snapshot(b.home, origin)
    assert row.size == size and [e[0] for e in entries] == list(range(size))
    assert verify_mirror(open_node(b.home), origin).entries == size


# ---------------------------------------------------------------- broken or lying peers


@pytest.fixture
async def synced(tmp_path):
    """B mirrors A; then A's server is stopped so a fake can take its place."""
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    populate(open_node(a.home), 12)
    await a.start()
    await b.start()
    first = await sync(b.home, a.url, page_size=5)
    add(a.node, 6, "new")
    await a.stop()
    a.node = open_node(a.home)
    yield a, b, first.origin
    if a.node is not None:
        a.node.close()
    await b.stop()


def tamper_entry(change, *, rehash: bool = False):
    """Change the second entry of every page (pages only hold entries B does not have yet);
    with `rehash`, also give it the leaf hash of its new bytes, as a thorough forger would."""
    def tamper(page, start, limit):
        if len(page["entries"]) > 1:
            entry = page["entries"][1]
            change(entry)
            if rehash:
                entry["leafHash"] = base64.b64encode(leaf_hash(canonicalize(entry["activity"]))).decode()
        return page
    return tamper


@pytest.mark.parametrize("tamper, message", [
    (tamper_entry(lambda e: e["activity"]["object"].update(name="altered")), "does not hash to its leaf hash"),
    (lambda page, start, limit: {**page, "entries": page["entries"][1:]}, "holds"),
    (lambda page, start, limit: {**page, "entries": page["entries"][:1] + page["entries"][:-1]},
     "skipped or repeated"),
    (lambda page, start, limit: json.dumps(page).encode()[:-40], "valid JSON"),
    (tamper_entry(lambda e: e["activity"].pop("proof"), rehash=True), "without a Data Integrity proof"),
    (tamper_entry(lambda e: e["activity"]["object"].update(name="altered"), rehash=True),
     "proof does not verify"),
])
async def test_bad_pages_are_refused_and_leave_the_mirror_as_it_was(synced, tamper, message):
    a, b, origin = synced
    before = snapshot(b.home, origin)
    peer = await FakePeer(a.node, a.port, History.of_node(a.node), tamper=tamper).start()
    try:
        with pytest.raises((IntegrityError, FetchError)) as caught:
            await sync(b.home, a.url, page_size=4)
    finally:
        await peer.stop()
    if message:
        assert message in str(caught.value)
    after = snapshot(b.home, origin)
    assert after[0].size == before[0].size and after[0].root == before[0].root and after[1] == before[1]
    assert not after[0].forked and after[0].last_error


async def test_a_checkpoint_signed_by_another_key_is_refused(synced):
    a, b, origin = synced
    before = snapshot(b.home, origin)
    impostor = NoteSigner(a.node.config.origin, generate_ed25519())
    history = History.of_node(a.node)
    peer = await FakePeer(a.node, a.port, history,
                          note_for=lambda h: impostor.sign(h.note(a.node).split("\n\n")[0] + "\n")).start()
    try:
        with pytest.raises(VerificationError, match="not signed by its pinned key"):
            await sync(b.home, a.url)
    finally:
        await peer.stop()
    assert snapshot(b.home, origin)[0].size == before[0].size


async def test_a_peer_that_rewrites_an_old_entry_is_caught_with_conclusive_evidence(synced):
    a, b, origin = synced
    held = snapshot(b.home, origin)[0]
    forged = History.of_node(a.node).rewritten(a.node, 7, change_summary)
    peer = await FakePeer(a.node, a.port, forged).start()
    try:
        with pytest.raises(IntegrityError, match="fork"):
            await sync(b.home, a.url, page_size=4)
    finally:
        await peer.stop()
    node = open_node(b.home)
    row = mirror_store.mirror(node.db, origin)
    assert row.forked and row.size == held.size and row.root == held.root
    [fork] = mirror_store.forks(node.db, origin)
    assert fork.kind == "prefix"
    verdict = verify_evidence(fork.evidence)
    assert verdict.proven and verdict.conclusive, verdict.reason
    assert fork.evidence["notes"][0] == held.checkpoint
    # Anyone with the published algorithms: tampering with the evidence breaks it.
    broken = json.loads(json.dumps(fork.evidence))
    broken["impliedRoot"] = fork.evidence["notes"][0].split("\n")[2]
    assert not verify_evidence(broken).proven

    # Followers hear of it: a Flag from the instance actor carries the evidence.
    flag = json.loads(outgoing_store.body(node.db, fork.flag))
    assert flag["type"] == "Flag" and flag["actor"].endswith("/actor") and flag["object"] == f"{a.url}/actor"
    assert flag["proof"]["verificationMethod"].startswith(flag["actor"])
    carried = json.loads(flag["attachment"][-1]["content"])
    assert verify_evidence(carried).conclusive
    assert nodeinfo_metadata(node)["forkedOrigins"] == [origin]
    node.close()

    result = invoke(b.home, "fork", "show", origin, "--format", "json")
    shown = json.loads(result.stdout)
    assert shown["forked"] and shown["forks"][0]["verified"] and shown["forks"][0]["conclusive"]
    text = invoke(b.home, "fork", "show", a.url).stdout
    assert held.checkpoint.splitlines()[0] in text and "holds (conclusive)" in text
    assert json.loads(invoke(b.home, "peers", "--format", "json").stdout)[0]["forked"]

    # The origin is no longer trusted, even once it serves its true log again.
    await a.start()
    try:
        with pytest.raises(IntegrityError, match="forked"):
            await sync(b.home, a.url)
    finally:
        await a.stop()
    assert invoke(b.home, "log", "verify", "--origin", origin).exit_code == 0


async def test_a_peer_showing_two_histories_to_two_nodes_is_caught_by_both(tmp_path):
    d = RunningNode.create(tmp_path, "d")  # its home only: a fake serves on its port
    b, c = RunningNode.create(tmp_path, "b"), RunningNode.create(tmp_path, "c")
    liar = open_node(d.home)
    populate(liar, 10)
    truth = History.of_node(liar)
    other = truth.rewritten(liar, 9, change_summary)
    assert other.size == truth.size and other.root() != truth.root()
    peer = await FakePeer(liar, d.port, truth, history_for=by_requester({c.url: other}, truth)).start()
    await b.start()
    await c.start()
    try:
        assert (await sync(b.home, d.url)).forks == []
        assert (await sync(c.home, d.url)).forks == []
        # Each then syncs the other's log and compares what they hold of d.
        with_b = await sync(b.home, c.url)
        with_c = await sync(c.home, b.url)
    finally:
        await peer.stop()
        await b.stop()
        await c.stop()
    origin = liar.config.origin
    for running, result in ((b, with_b), (c, with_c)):
        assert result.forks, running.url
        node = open_node(running.home)
        [fork] = mirror_store.forks(node.db, origin)
        assert fork.kind == "same-size"
        verdict = verify_evidence(fork.evidence)
        assert verdict.proven and verdict.conclusive
        assert mirror_store.mirror(node.db, origin).forked
        assert not mirror_store.mirror(node.db, result.origin).forked  # the honest peer
        node.close()
    liar.close()


async def test_the_server_syncs_the_nodes_whose_pools_its_people_follow(tmp_path):
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    populate(open_node(a.home), 3)
    create_actor(open_node(b.home), "person", "carol")
    await a.start()
    await b.start()
    try:
        await follow_from(b.home, f"{a.url}/pools/garden", "carol")
        from fedcommons.store import follows as follow_store

        await eventually(lambda: follow_store.following(b.node.db, f"{b.url}/users/carol"))
        worker = b.app[SYNC]
        worker.wake()
        origin = a.node.config.origin
        await eventually(lambda: (mirror_store.mirror(b.node.db, origin) or None)
                         and mirror_store.mirror(b.node.db, origin).size == log_store.log_size(a.node.db))
        # It also asked A to witness B's log: A mirrors nothing of B, so nothing came back.
        assert worker.last_errors == {}
    finally:
        await a.stop()
        await b.stop()


def test_sync_and_peers_from_the_command_line_on_an_unknown_peer(tmp_path):
    home = tmp_path / "home"
    assert invoke(home, "init", "--url", "http://127.0.0.1:9", "--allow-private-addresses").exit_code == 0
    result = invoke(home, "peers")
    assert result.exit_code == 0 and "no mirrored logs" in result.stdout
    result = invoke(home, "sync", "http://127.0.0.1:9")
    assert result.exit_code == 1 and "error:" in result.stderr
    result = invoke(home, "fork", "show", "elsewhere.example")
    assert result.exit_code == 2 and "no mirror" in result.stderr
    assert support_db.query(home, "SELECT count(*) FROM mirrors") == [(0,)]  # made, and left empty
