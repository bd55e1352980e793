"""Appending to the log: canonical bytes, Merkle nodes, the node's after-append hooks
(projections, the delivery queue: see `home.py`) and a new signed checkpoint, all in one
transaction so a crash leaves either everything or nothing."""

from dataclasses import dataclass
from typing import Sequence

from ...errors import HomeError
from ...fields import first_type, object_id
from ...ld.canonical import canonicalize
from ...log.checkpoint import Checkpoint, format_checkpoint
from ...log.merkle import Frontier, leaf_hash
from ...node import Node, now
from ...store import log as log_store
from ...store.db import transaction


@dataclass(frozen=True)
class Pending:
    """An activity accepted for the log, with where it came from and what verified it."""

    activity: dict
    origin: str = "local"
    verified_by: str | None = None
    body: bytes | None = None  # the activity's JCS bytes, when the signer already made them

    @property
    def local(self) -> bool:
        return self.origin == "local"


# What an after-append hook is given: each new log entry with the activity it holds.
Appended = tuple[log_store.EntryRow, Pending]


def lookup(node: Node):
    """The Merkle node lookup the pure tree code calls."""
    db = node.db
    return lambda level, index: log_store.node(db, level, index)


def append(node: Node, pending: Sequence[Pending]) -> list[log_store.EntryRow]:
    """Append activities to the log; returns their entries. All or nothing."""
    if not pending:
        return []
    if node.hold is not None:
        raise HomeError(node.hold)
    # The expensive part (canonical JSON, hashing) happens before taking the write lock.
    prepared = []
    for p in pending:
        body = p.body if p.body is not None else canonicalize(p.activity)
        prepared.append((p, body, leaf_hash(body)))
    recorded_at = now()
    with transaction(node.db):
        size = log_store.log_size(node.db)
        frontier = Frontier.from_lookup(size, lookup(node))
        rows, nodes = [], []
        for offset, (p, body, leaf) in enumerate(prepared):
            nodes.extend(frontier.append(leaf))
            activity = p.activity
            kind = first_type(activity)
            rows.append(
                log_store.EntryRow(
                    idx=size + offset,
                    leaf_hash=leaf,
                    body=body,
                    activity_id=activity["id"],
                    type="Object" if kind is None else kind,
                    actor=_actor(activity),
                    object_id=object_id(activity),
                    origin=p.origin,
                    verified_by=p.verified_by,
                    recorded_at=recorded_at,
                )
            )
        log_store.insert_entries(node.db, rows)
        log_store.insert_nodes(node.db, nodes)
        appended = [(row, p) for row, (p, _, _) in zip(rows, prepared)]
        for hook in node.after_append:
            hook(node, appended)
        sign_checkpoint(node, frontier.size, frontier.root())
    return rows


def sign_checkpoint(node: Node, size: int, root: bytes) -> str:
    """Sign and store the checkpoint for a new tree size (the caller holds the transaction)."""
    body = format_checkpoint(Checkpoint(origin=node.config.origin, size=size, root=root))
    note = node.note_signer.sign(body)
    log_store.insert_checkpoint(node.db, size, root, note, now())
    return note


def _actor(activity: dict) -> str:
    actor = activity.get("actor")
    if isinstance(actor, dict):
        actor = actor.get("id")
    return actor if isinstance(actor, str) else ""
