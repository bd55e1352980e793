"""`fedcommons export sqlite`: a Datasette-ready copy of what a node shows, opened with
Datasette itself and queried; nothing private in it; the node's own data untouched."""

import json
import sqlite3

import pytest

from fedcommons.home import init_node
from support_cli import invoke, run
from support_web import populate

datasette_app = pytest.importorskip("datasette.app", reason="datasette is in the test extra: pip install -e '.[test]'")

URL = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    home = root / "home"
    node = init_node(home, URL)
    try:
        ids = populate(node)
    finally:
        node.close()
    path = root / "commons.db"
    result = json.loads(run(home, "export", "sqlite", str(path), "--format", "json").stdout)
    return home, path, ids, result


def test_the_tables_hold_what_the_node_shows(exported):
    home, path, ids, result = exported
    assert result["tables"]["contributions"] == 4 and result["tables"]["payouts"] >= 1
    db = sqlite3.connect(path)
    try:
        status = dict(db.execute("SELECT id, status FROM contributions"))
        assert status[ids["rejected"]] == "rejected" and status[ids["pending"]] == "pending"
        standing = db.execute("SELECT contributor, share FROM standing WHERE pool = ?", (f"{URL}/pools/garden",))
        assert [(c, s) for c, s in standing] == [(f"{URL}/users/carol", 1.0)]
        # Foreign keys declared and kept.
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        targets = {row[2] for row in db.execute("PRAGMA foreign_key_list(contributions)")}
        assert targets == {"actors"}
        # Nothing private: no table of keys, passwords, sessions or aliases.
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not tables & {"passwords", "web_sessions", "oauth_tokens", "aliases", "log_entries"}
        assert "PRIVATE KEY" not in path.read_bytes().decode("latin-1")
    finally:
        db.close()


async def test_datasette_opens_it_and_searches_summaries(exported):
    _, path, ids, _ = exported
    ds = datasette_app.Datasette([str(path)])
    response = await ds.client.get("/commons/contributions.json?_search=hinges&_shape=array")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [ids["pending"]]
    response = await ds.client.get("/commons/payouts.json?_shape=array&_labels=on")
    assert response.status_code == 200 and response.json()
    response = await ds.client.get(
        "/commons.json?sql=select+count(*)+as+n+from+contributions+where+status+%3D+'validated'&_shape=array")
    assert response.json() == [{"n": 2}]


def test_an_existing_file_is_kept_unless_forced(exported, tmp_path):
    home, path, _, _ = exported
    target = tmp_path / "out.db"
    target.write_bytes(b"keep me")
    result = invoke(home, "export", "sqlite", str(target))
    assert result.exit_code == 2 and "--force" in result.stderr and target.read_bytes() == b"keep me"
    run(home, "export", "sqlite", str(target), "--force")
    assert sqlite3.connect(target).execute("SELECT count(*) FROM contributions").fetchone()[0] == 4
    assert invoke(home, "export", "sqlite", str(tmp_path)).exit_code == 2  # a directory
