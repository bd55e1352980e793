"""`fedcommons db migrate --to postgresql://...`: a SQLite node moved to PostgreSQL.

The source is always a node on SQLite, whichever backend the run gives new nodes; the
copies go to schemas of the test server (support_db), so those tests are about
PostgreSQL alone. Refusals that need no server run on both.
"""

import gc
import json
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest

import support_db
from support_cli import invoke, kill_when, run
from support_nodes import RunningNode
from support_web import AP, HTML, populate

from fedcommons import home as home_module
from fedcommons.errors import Conflict
from fedcommons.home import init_node, open_node
from fedcommons.node import now
from fedcommons.services.contributions.contributions import contribute
from fedcommons.services.log.redaction import redact
from fedcommons.services.storage.moving import move_to_postgresql
from fedcommons.store import copying, postgresql
from fedcommons.store import log as log_store

REPO = Path(__file__).resolve().parent.parent
NEEDS_SERVER = "copies into the test PostgreSQL server"


@pytest.fixture(autouse=True)
def sqlite_homes(monkeypatch):
    """New homes keep their data in SQLite, as the nodes this command moves do."""
    monkeypatch.setattr(home_module, "default_database", lambda home: None)


def garden(home: Path, contributions: int = 3) -> Path:
    node = init_node(home, "http://127.0.0.1:8080")
    try:
        run(home, "actor", "add", "alice")
        run(home, "pool", "create", "garden", "--name", "Garden", "--steward", "alice")
        for i in range(contributions):
            contribute(node, pool="garden", person="alice", effort="1h", kind="care", summary=f"task {i}")
    finally:
        node.close()
    return home


def settings(home: Path) -> bytes:
    return (home / "config.json").read_bytes()


def verified_root(home: Path) -> tuple[int, str]:
    out = json.loads(run(home, "log", "verify", "--format", "json").stdout)
    return out["entries"], out["root"]


def nothing_open() -> None:
    """Commands run in-process (CliRunner) leave their node's connections to the garbage
    collector, as a process leaves them to its exit: collect them, so that the home's
    database is not open when `db migrate` checks that nobody has it open."""
    gc.collect()


def migrate(home: Path, url: str, *args, code: int = 0):
    nothing_open()
    return run(home, "db", "migrate", "--to", url, *args, code=code)


# ------------------------------------------------------------------ refusals (no server needed)


@pytest.mark.parametrize("url", ["sqlite:///elsewhere.db", "/srv/commons.db", "mysql://me@db/commons",
                                 "postgresql://me@localhost/"])
def test_a_url_that_is_not_a_postgresql_database_is_refused(tmp_path, url):
    home = garden(tmp_path / "home", 1)
    before = settings(home)
    result = migrate(home, url, code=2)
    assert result.stderr.count("\n") == 1 and "--to" in result.stderr
    assert settings(home) == before


def test_a_node_already_on_postgresql_is_refused(tmp_path):
    home = garden(tmp_path / "home", 1)
    config = json.loads(settings(home))
    config["database_url"] = "postgresql://me@db.invalid/commons"
    (home / "config.json").write_text(json.dumps(config))
    before = settings(home)
    result = migrate(home, "postgresql://me@db.invalid/other", code=2)
    assert result.stderr.strip() == ("error: this node already keeps its data in PostgreSQL "
                                     "(postgresql://me@db.invalid/commons)")
    assert settings(home) == before


def test_the_batch_size_must_be_positive(tmp_path):
    home = garden(tmp_path / "home", 1)
    result = migrate(home, "postgresql://me@db.invalid/commons", "--batch-size", "0", code=2)
    assert "--batch-size" in result.stderr


# ------------------------------------------------------------------ copies (PostgreSQL)


@pytest.mark.postgresql_only(NEEDS_SERVER)
async def test_a_node_with_content_moves_and_serves_the_same_documents(tmp_path, http):
    running = RunningNode.create(tmp_path, "a")
    node = open_node(running.home)
    try:
        ids = populate(node)
        pending = log_store.entry_by_object(node.db, ids["pending"])
        redact(node, pending.idx, reason="asked by its author", by="bob")
        # A standing document as of a fixed time is the same bytes whenever it is asked for.
        standing = f"/pools/garden/standing?asOf={now()}"
    finally:
        node.close()
    paths = ("/pools/garden", standing, "/users/carol", "/coops/bakery", "/log")

    async def documents() -> dict:
        await running.start(workers=False)
        try:
            found = {}
            for path in paths:
                for accept in (AP, HTML):
                    async with http.get(running.url + path, headers={"Accept": accept}) as response:
                        assert response.status == 200, (path, accept)
                        found[path, accept] = await response.read()
            return found
        finally:
            await running.stop()

    before, root = await documents(), verified_root(running.home)
    url = support_db.new_database()
    out = json.loads(migrate(running.home, url, "--format", "json").stdout)
    assert (out["entries"], out["root"]) == root
    assert (out["resumed"], out["copied"]) == (False, out["rows"])
    assert out["sqlite_file"] == str(running.home / "fedcommons.db")
    assert (running.home / "fedcommons.db").exists()  # left for the user to delete
    assert support_db.database_of(running.home) == url

    after = await documents()
    assert after[(standing, AP)] == before[(standing, AP)]
    assert after[("/pools/garden", AP)] == before[("/pools/garden", AP)]
    assert verified_root(running.home) == root
    # The copy goes on as a node: the identity counters are past the copied ids.
    run(running.home, "contribute", "--pool", "garden", "--as", "carol", "--effort", "1h", "--kind", "care",
        "--summary", "after the move")
    assert verified_root(running.home)[0] == root[0] + 1
    shown = run(running.home, "pool", "show", "garden").stdout
    assert "after the move" in shown and "contributions: 4" in shown
    # Moving again is refused: the node is on PostgreSQL now.
    assert "already keeps its data in PostgreSQL" in migrate(running.home, support_db.new_database(), code=2).stderr


@pytest.mark.postgresql_only(NEEDS_SERVER)
def test_a_killed_copy_goes_on_where_it_stopped(tmp_path):
    home = garden(tmp_path / "home", 40)
    before, root = settings(home), verified_root(home)
    url = support_db.new_database()
    command = [sys.executable, "-m", "fedcommons", "--home", str(home), "db", "migrate", "--to", url,
               "--batch-size", "2"]
    watcher = postgresql.connect(url)
    nothing_open()
    try:
        def copied() -> int:
            if watcher.execute("SELECT to_regclass(?)", (copying.PROGRESS_TABLE,)).fetchone()[0] is None:
                return 0
            return watcher.execute(f"SELECT COALESCE(SUM(rows), 0) FROM {copying.PROGRESS_TABLE}").fetchone()[0]

        still_running, errors = kill_when(command, lambda: copied() >= 60,
                                          env={**os.environ, "PYTHONPATH": str(REPO)})
        assert still_running and copied() >= 60, errors
    finally:
        watcher.close()
    assert settings(home) == before  # still on SQLite
    out = json.loads(migrate(home, url, "--format", "json").stdout)
    assert out["resumed"] and 0 < out["copied"] < out["rows"] - 60 + 2
    assert (out["entries"], out["root"]) == root
    # Nothing was copied twice: the service compared every table's rows with the source's.
    assert verified_root(home) == root
    assert "contributions: 40" in run(home, "pool", "show", "garden").stdout


@pytest.mark.postgresql_only(NEEDS_SERVER)
def test_a_write_during_the_copy_stops_the_switch_and_a_new_run_copies_it(tmp_path):
    home = garden(tmp_path / "home", 5)
    before = settings(home)
    url = support_db.new_database()
    wrote = []

    def write_once(done: int, total: int) -> None:
        if not wrote:
            node = open_node(home)
            try:
                wrote.append(contribute(node, pool="garden", person="alice", effort="1h", kind="care",
                                        summary="while copying"))
            finally:
                node.close()

    nothing_open()
    with pytest.raises(Conflict, match="written while it was being copied"):
        move_to_postgresql(home, url, batch=3, progress=write_once)
    assert settings(home) == before
    root = verified_root(home)
    out = json.loads(migrate(home, url, "--format", "json").stdout)
    assert out["resumed"] and (out["entries"], out["root"]) == root
    assert "while copying" in run(home, "pool", "show", "garden").stdout


@pytest.mark.postgresql_only(NEEDS_SERVER)
def test_a_database_that_holds_another_node_is_refused(tmp_path):
    first, second = garden(tmp_path / "first", 1), garden(tmp_path / "second", 1)
    url = support_db.new_database()
    migrate(first, url)
    before = settings(second)
    result = migrate(second, url, code=2)
    assert result.stderr.strip().endswith("already holds a node; name a new or empty database")
    assert settings(second) == before

    # An unfinished copy of another node is not this node's to finish.
    other = support_db.new_database()
    target = copying.open_target(other)
    try:
        copying.start_progress(target, "https://elsewhere.example")
    finally:
        target.close()
    result = invoke(second, "db", "migrate", "--to", other)
    assert result.exit_code == 2 and "unfinished copy of the node https://elsewhere.example" in result.stderr
    assert settings(second) == before


class Interrupted(Exception):
    """Stands for a copy killed mid-way."""


@pytest.mark.postgresql_only(NEEDS_SERVER)
def test_a_log_changed_below_what_was_copied_is_not_copied_over(tmp_path):
    home = garden(tmp_path / "home", 6)
    url = support_db.new_database()
    watcher = postgresql.connect(url)

    def stop_in_the_log(done: int, total: int) -> None:
        row = watcher.execute(f"SELECT rows FROM {copying.PROGRESS_TABLE} WHERE tbl = 'log_entries'").fetchone()
        if row and row[0] >= 4:
            raise Interrupted()

    try:
        nothing_open()
        with pytest.raises(Interrupted):
            move_to_postgresql(home, url, batch=2, progress=stop_in_the_log)
    finally:
        watcher.close()
    # Entry 3 (a contribution) loses its bytes after it was copied with them.
    run(home, "log", "redact", "3", "--reason", "asked by its author", "--as", "alice")
    before = settings(home)
    result = migrate(home, url, code=2)
    assert "log_entries changed since an earlier run copied part of it" in result.stderr
    assert "drop that database" in result.stderr and result.stderr.count("\n") == 1
    assert settings(home) == before


def test_a_database_open_elsewhere_is_refused(tmp_path):
    """An idle server holds its connections open: as long as any is, the node stays put."""
    home = garden(tmp_path / "home", 1)
    before = settings(home)
    server = sqlite3.connect(home / "fedcommons.db")
    try:
        server.execute("SELECT count(*) FROM actors").fetchone()
        result = migrate(home, "postgresql://me@db.invalid/commons", code=2)
    finally:
        server.close()
    assert result.stderr.strip() == ("error: the node's SQLite database is open in another process (is `fedcommons "
                                     "serve` running?): stop it, then run this command again")
    assert settings(home) == before


@pytest.mark.postgresql_only(NEEDS_SERVER)
def test_rows_read_in_the_order_they_were_recorded_keep_it(tmp_path):
    home = garden(tmp_path / "home", 1)
    with closing(sqlite3.connect(home / "fedcommons.db")) as db:
        # Waiting items are read back in the order they were recorded (SQLite's rowid),
        # which is not their key's order.
        db.executemany("INSERT INTO import_waiting (pool, key, item, run, data) VALUES ('garden', ?, ?, 1, '{}')",
                       [("zoe", "3"), ("ann", "1"), ("max", "2")])
        db.execute("DELETE FROM import_waiting WHERE key = 'ann'")
        db.execute("INSERT INTO import_waiting (pool, key, item, run, data) VALUES ('garden', 'bea', '4', 1, '{}')")
        db.commit()
        recorded = db.execute("SELECT rowid, key FROM import_waiting ORDER BY rowid").fetchall()
    url = support_db.new_database()
    migrate(home, url)
    target = postgresql.connect(url)
    try:
        assert target.execute("SELECT rowid, key FROM import_waiting ORDER BY rowid").fetchall() == recorded
        # The next row is numbered after them.
        target.execute("INSERT INTO import_waiting (pool, key, item, run, data) VALUES ('garden', 'cy', '5', 1, '{}')")
        assert target.execute("SELECT max(rowid) FROM import_waiting").fetchone()[0] == recorded[-1][0] + 1
    finally:
        target.close()
