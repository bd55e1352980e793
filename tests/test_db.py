"""Opening the database: page size for new databases, a page cache held small for a while,
and a transaction that fills the disk."""

import json
import sqlite3

from fedcommons.store.db import CACHE_KIB, PAGE_SIZE, bulk_writes, open_db, page_cache, transaction


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


def test_bulk_writes_checkpoint_less_often_then_give_back_the_settings_and_the_log_file(tmp_path):
    db = open_db(tmp_path / "node.db", create=True)
    conn = db.conn
    conn.execute("PRAGMA journal_size_limit = 65536")
    conn.execute("CREATE TABLE filler (b BLOB)")
    wal = tmp_path / "node.db-wal"
    with bulk_writes(db, cache_kib=4096, checkpoint_pages=100_000):
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -4096
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 100_000
        for _ in range(6):  # 1,500 pages: past the usual checkpoint every 1,000
            with transaction(db):
                conn.executemany("INSERT INTO filler VALUES (randomblob(4000))", [()] * 1000)
        assert wal.stat().st_size > 6 * 1000 * 4000  # not checkpointed (and cut back) in between
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    with transaction(db):
        conn.execute("INSERT INTO filler VALUES (1)")
    assert wal.stat().st_size <= 65536  # checkpointed after the run: the next write cuts it back
    assert conn.execute("SELECT count(*) FROM filler").fetchone()[0] == 6001
    db.close()


FILL_THE_DISK = """
import json, resource, sys
from fedcommons.store.db import open_db, transaction

db = open_db(sys.argv[1], create=True)
db.conn.execute("CREATE TABLE filler (b BLOB)")
db.conn.execute("PRAGMA cache_size = 10")  # spill to the WAL mid-transaction, as a big import does
try:
    with transaction(db):
        for _ in range(1000):
            db.conn.execute("INSERT INTO filler VALUES (randomblob(100000))")
    error = None
except Exception as exc:
    error = str(exc)
still_open = db.conn.in_transaction
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
with transaction(db):
    db.conn.execute("INSERT INTO filler VALUES (1)")
print(json.dumps({"error": error, "still_open": still_open,
                  "rows": db.conn.execute("SELECT count(*) FROM filler").fetchone()[0]}))
"""


def test_a_transaction_that_fills_the_disk_reports_the_disk_and_leaves_the_connection_usable(tmp_path):
    from support_disk import run_on_full_disk

    result = run_on_full_disk(["-c", FILL_THE_DISK, str(tmp_path / "node.db")], limit=4 * 1024 * 1024)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    # SQLite rolled back by itself; a second ROLLBACK used to replace this with "cannot rollback".
    assert outcome["error"] in ("database or disk is full", "disk I/O error"), outcome
    assert outcome["still_open"] is False
    assert outcome["rows"] == 1  # nothing of the failed transaction, and the next one wrote
