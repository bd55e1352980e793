"""Queueing what a local actor writes for delivery, in the transaction that logs it."""

from ...activities import PUBLIC
from ...node import Node
from ...store import follows as follow_store
from ...store import outgoing as outgoing_store
from ...urls import is_local

ADDRESS_FIELDS = ("to", "cc", "bto", "bcc", "audience")


def recipients(activity: dict) -> list[str]:
    """Everyone an activity is addressed to, except the public collection."""
    found: list[str] = []
    for field in ADDRESS_FIELDS:
        value = activity.get(field)
        if value is None:  # most of the fields, on every entry a bulk import appends
            continue
        for item in [value] if isinstance(value, str) else value or []:
            if isinstance(item, str) and item not in _PUBLIC and item not in found:
                found.append(item)
    return found


_PUBLIC = frozenset((PUBLIC, "as:Public", "Public"))


def _reaches_anyone(node: Node, target: str, cache: dict[str, bool]) -> bool:
    """Whether delivering to `target` would reach another server: local actors already
    have the entry, and a local followers collection matters only once it has followers.
    Skipping the rest keeps a bulk import from writing every entry twice."""
    if target not in cache:
        if not is_local(node.url, target):
            cache[target] = True
        elif target.endswith("/followers"):
            cache[target] = follow_store.count_followers(node.db, target.removesuffix("/followers")) > 0
        else:
            cache[target] = False
    return cache[target]


def enqueue_all(node: Node, activities: list[tuple[dict, bytes]], created_at: str) -> int:
    """Queue local activities (with their bytes) for their recipients; returns how many
    were addressed to anybody."""
    rows = []
    audience: dict[str, bool] = {}
    for activity, body in activities:
        targets = [t for t in recipients(activity) if _reaches_anyone(node, t, audience)]
        sender = activity.get("actor")
        if targets and isinstance(sender, str):
            rows.append((activity["id"], sender, body, targets))
    outgoing_store.enqueue_many(node.db, rows, created_at)
    return len(rows)
