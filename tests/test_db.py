"""Opening the database: page size for new databases, and a page cache held small for a while."""

import sqlite3

from fedcommons.store.db import CACHE_KIB, PAGE_SIZE, open_db, page_cache


def test_a_new_database_has_large_pages_and_an_existing_one_keeps_its_own(tmp_path):
    fresh = open_db(tmp_path / "new.db", create=True)
    assert fresh.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE

    older = tmp_path / "older.db"
    conn = sqlite3.connect(older)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE keep (x)")
    conn.execute("INSERT INTO keep VALUES (1)")
    conn.commit()
    conn.close()
    db = open_db(older)
    assert db.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert db.conn.execute("SELECT x FROM keep").fetchall() == [(1,)]
    assert "log_entries" in db.table_names()  # migrated all the same


def test_page_cache_is_held_small_and_given_back(tmp_path):
    db = open_db(tmp_path / "node.db", create=True)
    assert db.conn.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
    with page_cache(db, 2000):
        assert db.conn.execute("PRAGMA cache_size").fetchone()[0] == -2000
    assert db.conn.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
