"""A node home: private whatever the umask, made all or nothing, and one clean line when
the machine (not the input) fails."""

import os
import stat

import pytest
import support_db
from support_cli import run
from support_disk import run_on_full_disk

from fedcommons.home import init_node
from fedcommons.services.actors.actors import create_actor

URL = "http://127.0.0.1:8080"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def no_umask():
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.sqlite_only("the permissions of the SQLite file and its WAL in the home")
def test_the_database_files_are_private_under_umask_000(tmp_path, no_umask):
    home = tmp_path / "home"
    node = init_node(home, URL)
    create_actor(node, "person", "alice")
    db_files = list(home.glob("fedcommons.db*"))  # with the WAL and its index, while open
    assert len(db_files) == 3
    for db_file in db_files:
        assert not mode(db_file) & 0o022, db_file  # nobody else may write the database
    node.close()


def test_keys_and_settings_are_private_under_umask_000(tmp_path, no_umask):
    home = tmp_path / "home"
    node = init_node(home, URL)
    create_actor(node, "person", "alice")
    node.close()
    assert mode(home) == 0o700
    assert mode(home / "config.json") == 0o600
    folders = [home / "keys", *(p for p in (home / "keys").rglob("*") if p.is_dir())]
    assert {p.name for p in folders} == {"keys", "node", "person"}
    for folder in folders:
        assert mode(folder) == 0o700, folder
    keys = list((home / "keys").rglob("*.pem"))
    assert len(keys) == 4
    for key in keys:
        assert mode(key) == 0o600, key


def init_on_full_disk(home):
    return run_on_full_disk(["-m", "fedcommons", "--home", str(home), "init", "--url", URL],
                            limit=256 * 1024)


def assert_one_line_error(result):
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "cannot rollback" not in result.stderr


def test_init_on_a_full_disk_says_so_in_one_line_and_leaves_no_home(tmp_path):
    parent = tmp_path / "volume"
    parent.mkdir()
    result = init_on_full_disk(parent / "home")
    assert_one_line_error(result)
    assert "disk" in result.stderr  # "database or disk is full" or "disk I/O error"
    assert list(parent.iterdir()) == []  # neither the home nor its staging directory


def test_init_on_a_full_disk_empties_an_existing_empty_home_and_keeps_it(tmp_path):
    home = tmp_path / "home"
    home.mkdir()  # a mounted volume, say: it cannot be replaced, only filled
    assert_one_line_error(init_on_full_disk(home))
    assert home.is_dir() and list(home.iterdir()) == []
    run(home, "init", "--url", URL)  # and once there is room, init simply works


def test_init_refuses_a_non_empty_directory_and_touches_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    result = run(home, "init", "--url", URL, code=2)
    assert "not empty" in result.stderr
    assert [p.name for p in home.iterdir()] == ["notes.txt"]


def test_a_locked_database_is_one_line_and_status_1(tmp_path, monkeypatch):
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    monkeypatch.setattr("fedcommons.store.db.BUSY_TIMEOUT_MS", 50)
    with support_db.hold_write_lock(home):  # another process writing, as a long import does
        result = run(home, "actor", "add", "dave", code=1)
    assert result.stderr.splitlines() == ["error: database is locked: another process is writing to it; try again"]
    run(home, "actor", "show", "dave", code=2)  # nothing was recorded
    assert not list((home / "keys").glob("person/dave.*")), "no keys left for an actor that was not made"
    run(home, "actor", "add", "dave")  # and trying again works
    run(home, "actor", "show", "dave")
