"""`fedcommons export sqlite`: what a node holds, as a database to explore with Datasette.

People and pools, every contribution with its status, the current standing of every
local pool (the same figures its Standing document publishes), and every published
Distribution with its payouts. Only what the node already shows publicly goes in.
"""

import json
from pathlib import Path

from ...errors import BadInput
from ...node import Node
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import coops as coop_store
from ...store.export import write_analysis
from ..payouts.payouts import logged_object
from ..standing.standing import local_pool_standing


def export_sqlite(node: Node, path: Path, *, force: bool = False, on_rows=None) -> dict[str, int]:
    """Write the analysis database to `path`; returns rows per table. An existing file is
    replaced only with `force` (it is written beside it first, then moved into place)."""
    path = Path(path)
    if path.exists() and not force:
        raise BadInput(f"{path} exists; choose another file or pass --force to replace it")
    if path.is_dir():
        raise BadInput(f"{path} is a directory")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    counts = write_analysis(partial, _tables(node), on_rows=on_rows)
    partial.replace(path)
    return counts


def _tables(node: Node) -> dict:
    actors = actor_store.every_actor(node.db)
    pools = [a for a in actors if a.kind == "pool" and a.local]
    return {
        "actors": ({"id": a.id, "kind": a.kind, "name": a.name, "display_name": a.display_name,
                    "local": int(a.local), "summary": a.summary} for a in actors),
        "pools": (_pool(node, a.id) for a in pools),
        "contributions": ({"id": c.id, "entry": c.entry, "pool": c.pool, "contributor": c.contributor,
                           "minutes": c.minutes, "kind": c.kind, "summary": c.summary, "published": c.published,
                           "status": c.status, "decided_by": c.decided_by, "reason": c.reason}
                          for c in contribution_store.every_contribution(node.db)),
        "standing": (row for a in pools for row in _standing(node, a.name)),
        "distributions": ({"id": d.id, "cooperative": d.coop, "entry": d.entry, "amount": d.amount,
                           "currency": d.currency, "policy": d.policy, "period": d.period, "published": d.published}
                          for d in coop_store.every_distribution(node.db)),
        "payouts": (row for d in coop_store.every_distribution(node.db) for row in _payouts(node, d)),
    }


def _pool(node: Node, pool_id: str) -> dict:
    row = actor_store.pool(node.db, pool_id)
    return {"id": pool_id, "license": row.license if row else None, "method": row.method if row else None,
            "parameters": json.dumps(row.parameters, sort_keys=True) if row else None}


def _standing(node: Node, slug: str):
    standing = local_pool_standing(node, slug)
    document = standing.document
    for rank, row in enumerate(standing.result.rows, start=1):
        yield {"pool": document["pool"], "contributor": row.contributor, "rank": rank, "score": float(row.score),
               "share": float(row.share), "method": standing.result.method, "as_of": standing.result.as_of_text,
               "tree_size": document["checkpoint"]["treeSize"]}


def _payouts(node: Node, distribution) -> list[dict]:
    document = logged_object(node, distribution.id) or {}
    return [{"distribution": distribution.id, "recipient": row.get("recipient"), "amount": row.get("amount"),
             "currency": distribution.currency} for row in document.get("payouts", []) if isinstance(row, dict)]
