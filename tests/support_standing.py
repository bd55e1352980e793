"""Activity builders shared by the standing tests.

They write activities in the compact ActivityStreams shape the log holds, with fixed
URLs and times, so every test reads like the log it describes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

NODE = "https://node.example"
POOL = f"{NODE}/pools/garden"
OTHER_POOL = f"{NODE}/pools/library"
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def person(name: str) -> str:
    """A contributor's actor URL."""
    return f"{NODE}/people/{name}"


def at(days: float) -> str:
    """ISO 8601 timestamp ``days`` after 2024-01-01T00:00:00Z."""
    return (START + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def when(days: float) -> datetime:
    """The datetime ``days`` after 2024-01-01T00:00:00Z."""
    return START + timedelta(days=days)


def pool_create(stewards: list[str], *, method: dict | None = None, day: float = 0,
                pool: str = POOL, actor: str = f"{NODE}/actor") -> dict:
    """Create of a pool with ``stewards`` and an optional standingMethod."""
    obj = {"id": pool, "type": ["Group", "CommonPool"], "name": "Garden", "stewards": stewards,
           "license": "MIT"}
    if method is not None:
        obj["standingMethod"] = method
    return {"type": "Create", "id": f"{pool}/create", "actor": actor, "published": at(day), "object": obj}


def pool_update(actor: str, *, day: float, stewards: list[str] | None = None,
                method: dict | None = None, pool: str = POOL, tag: str = "") -> dict:
    """Update of a pool by ``actor`` replacing the given fields."""
    obj = {"id": pool, "type": ["Group", "CommonPool"]}
    if stewards is not None:
        obj["stewards"] = stewards
    if method is not None:
        obj["standingMethod"] = method
    return {"type": "Update", "id": f"{pool}/update/{day}{tag}", "actor": actor,
            "published": at(day), "object": obj}


def contribution(cid: str, provider: str, *, minutes: float | str = 60, unit: str = "minute",
                 kind: str = "code", day: float = 1, pool: str = POOL, actor: str | None = None) -> dict:
    """Create of a contribution ``cid`` by ``provider`` (the actor unless given)."""
    url = f"{pool}/contributions/{cid}"
    return {
        "type": "Create",
        "id": f"{url}/create",
        "actor": actor or provider,
        "published": at(day),
        "object": {
            "id": url,
            "type": ["Note", "Contribution"],
            "attributedTo": provider,
            "provider": provider,
            "receiver": pool,
            "action": "work",
            "kind": kind,
            "effortQuantity": {"type": "Measure", "hasUnit": unit, "hasNumericalValue": minutes},
            "published": at(day),
        },
    }


def contribution_url(cid: str, pool: str = POOL) -> str:
    """URL of contribution ``cid`` as built by :func:`contribution`."""
    return f"{pool}/contributions/{cid}"


def accept(cid: str, steward: str, *, day: float = 2, reject: bool = False, pool: str = POOL) -> dict:
    """Accept (or Reject) of contribution ``cid`` by ``steward``."""
    kind = "Reject" if reject else "Accept"
    return {"type": kind, "id": f"{NODE}/decisions/{kind}/{cid}/{steward.rsplit('/', 1)[-1]}/{day}",
            "actor": steward, "object": contribution_url(cid, pool), "published": at(day)}


def like(cid: str, endorser: str, *, day: float = 3, weight: object = None, like_id: str | None = None) -> dict:
    """Like (endorsement) of contribution ``cid`` by ``endorser``."""
    activity = {"type": "Like", "id": like_id or f"{endorser}/likes/{cid}/{day}", "actor": endorser,
                "object": contribution_url(cid), "published": at(day)}
    if weight is not None:
        activity["weight"] = weight
    return activity


def undo(like_activity: dict, *, day: float = 4, actor: str | None = None, embed: bool = True) -> dict:
    """Undo of a Like, embedding it (the usual form) or naming it by id."""
    obj = {"type": "Like", "id": like_activity["id"], "actor": like_activity["actor"],
           "object": like_activity["object"]} if embed else like_activity["id"]
    return {"type": "Undo", "id": f"{like_activity['id']}/undo", "actor": actor or like_activity["actor"],
            "object": obj, "published": at(day)}
