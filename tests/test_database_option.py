"""`init --database`: a node whose data live in PostgreSQL, its keys and settings in its home."""

import json

import pytest
from support_cli import invoke, run

import support_db
from fedcommons.home import open_node
from fedcommons.store import log as log_store

URL = "http://127.0.0.1:8080"


@pytest.mark.parametrize("database, message", [
    ("sqlite:///tmp/x.db", "must be a PostgreSQL URL"),
    ("/tmp/fedcommons.db", "must be a PostgreSQL URL"),
    ("postgresql://127.0.0.1:5432/", "name a database in the URL"),
    ("postgresql://127.0.0.1:5432/bad-name;drop", "name a database in the URL"),
])
def test_a_database_that_is_not_a_postgresql_url_is_one_line_exit_2_and_makes_no_home(tmp_path, database, message):
    home = tmp_path / "home"
    result = invoke(home, "init", "--url", URL, "--database", database)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not home.exists()


@pytest.mark.postgresql_only("makes nodes on the PostgreSQL server")
def test_a_node_on_postgresql_keeps_keys_and_settings_in_its_home_and_its_log_in_the_database(tmp_path):
    database = support_db.new_database()
    home = tmp_path / "home"
    run(home, "init", "--url", URL, "--database", database)
    assert json.loads((home / "config.json").read_text())["database_url"] == database
    assert (home / "keys").is_dir() and not (home / "fedcommons.db").exists()
    run(home, "actor", "add", "alice")
    node = open_node(home)
    try:
        assert node.db.on_postgresql and log_store.log_size(node.db) >= 2
    finally:
        node.close()
    assert "verified" in run(home, "log", "verify").stdout


@pytest.mark.postgresql_only("makes nodes on the PostgreSQL server")
def test_a_database_that_holds_a_node_is_refused_and_the_node_is_untouched(tmp_path):
    database = support_db.new_database()
    run(tmp_path / "first", "init", "--url", URL, "--database", database)
    before = support_db.contents(open_node(tmp_path / "first").db)
    result = invoke(tmp_path / "second", "init", "--url", "http://127.0.0.1:8081", "--database", database)
    assert result.exit_code == 2, result.output
    assert "already holds a node" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "second").exists()
    assert support_db.contents(open_node(tmp_path / "first").db) == before
