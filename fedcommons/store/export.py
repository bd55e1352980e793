"""Writing an analysis database (for Datasette, or any SQLite client) with sqlite-utils.

A new file, not the node's database: tables with primary and foreign keys, full-text
search on contribution summaries, and nothing private (no keys, passwords, sessions,
aliases or payee details). The node's own database is never opened through sqlite-utils.
"""

from pathlib import Path
from typing import Iterable

import sqlite_utils

BATCH = 1000

# Table: (columns and types, primary key, foreign keys as (column, table, column)).
SCHEMA = {
    "actors": ({"id": str, "kind": str, "name": str, "display_name": str, "local": int, "summary": str},
               "id", []),
    "pools": ({"id": str, "license": str, "method": str, "parameters": str}, "id", [("id", "actors", "id")]),
    "contributions": ({"id": str, "entry": int, "pool": str, "contributor": str, "minutes": int, "kind": str,
                       "summary": str, "published": str, "status": str, "decided_by": str, "reason": str},
                      "id", [("pool", "actors", "id"), ("contributor", "actors", "id"),
                             ("decided_by", "actors", "id")]),
    "standing": ({"pool": str, "contributor": str, "rank": int, "score": float, "share": float,
                  "method": str, "as_of": str, "tree_size": int},
                 ("pool", "contributor"), [("pool", "actors", "id"), ("contributor", "actors", "id")]),
    "distributions": ({"id": str, "cooperative": str, "entry": int, "amount": str, "currency": str,
                       "policy": str, "period": str, "published": str},
                      "id", [("cooperative", "actors", "id")]),
    "payouts": ({"distribution": str, "recipient": str, "amount": str, "currency": str},
                ("distribution", "recipient"), [("distribution", "distributions", "id"),
                                                ("recipient", "actors", "id")]),
}


def write_analysis(path: Path, tables: dict[str, Iterable[dict]], *, on_rows=None) -> dict[str, int]:
    """Create the analysis database at `path` (which must not exist) from rows per table
    (in SCHEMA's order, so foreign keys always point at rows already written); returns the
    row count of each. `on_rows(n)` is called as rows are written (a progress bar)."""
    db = sqlite_utils.Database(path)
    counts = {}
    try:
        for name, (columns, pk, foreign) in SCHEMA.items():
            table = db[name]
            table.create(columns, pk=pk, foreign_keys=foreign, not_null={pk} if isinstance(pk, str) else set(pk))
            count = 0
            batch = []
            for row in tables.get(name, ()):
                batch.append(row)
                if len(batch) == BATCH:
                    table.insert_all(batch)
                    count += len(batch)
                    if on_rows:
                        on_rows(len(batch))
                    batch = []
            if batch:
                table.insert_all(batch)
                count += len(batch)
                if on_rows:
                    on_rows(len(batch))
            counts[name] = count
        db["contributions"].enable_fts(["summary"], create_triggers=False)
        db["contributions"].create_index(["pool", "status"])
        db["contributions"].create_index(["contributor"])
        db["actors"].enable_fts(["name", "display_name"], create_triggers=False)
    finally:
        db.close()
    return counts
