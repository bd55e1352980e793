"""Building blocks for governance tests: a pool's log as plain activities, and a node with a
governed pool and an open proposal."""

from datetime import datetime, timedelta, timezone

from fedcommons.services.accounts import accounts
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions import contributions
from fedcommons.services.governance import proposals

POOL = "https://a.example/pools/garden"
STEWARD = "https://a.example/users/bob"
QUESTION = f"{POOL}/proposals/p1"
DAY = "2026-01-{:02d}T00:00:00Z"


def person(n) -> str:
    return f"https://a.example/users/p{n}"


def at(day: int, hour: int = 0) -> str:
    return f"2026-01-{day:02d}T{hour:02d}:00:00Z"


def pool_create(governance: dict | None = None) -> dict:
    obj = {"id": POOL, "type": ["Group", "CommonPool"], "stewards": [STEWARD]}
    if governance is not None:
        obj["governance"] = governance
    return {"id": f"{POOL}#create", "type": "Create", "actor": POOL, "published": at(1), "object": obj}


def validated_work(who: str, n: int, day: int = 2) -> list[dict]:
    """A contribution by ``who`` and a steward's Accept of it."""
    cid = f"{who}/c{n}"
    create = {"id": f"{cid}#create", "type": "Create", "actor": who, "published": at(day),
              "object": {"id": cid, "type": ["Note", "Contribution"], "provider": who, "receiver": POOL,
                         "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 2},
                         "kind": "code", "published": at(day)}}
    accept = {"id": f"{cid}#accept", "type": "Accept", "actor": STEWARD, "object": cid, "published": at(day, 1)}
    return [create, accept]


def question(options=("yes", "no"), start: str = at(10), end: str = at(17), ident: str = QUESTION,
             change: dict | None = None) -> dict:
    one_of = [{"type": "Note", "name": name} for name in options]
    one_of[0]["change"] = change or {"license": "CC0-1.0"}
    return {"id": f"{ident}#create", "type": "Create", "actor": POOL, "published": start,
            "object": {"id": ident, "type": "Question", "attributedTo": POOL, "governs": POOL,
                       "proposer": STEWARD, "oneOf": one_of, "endTime": end, "published": start}}


def vote(who: str, option: str, when: str, n: int = 0, ident: str = QUESTION) -> dict:
    return {"id": f"{who}/votes/{n}", "type": "Create", "actor": who, "published": when,
            "object": {"id": f"{who}/votes/{n}/note", "type": "Note", "name": option,
                       "inReplyTo": ident, "attributedTo": who}}


def mastodon_vote(who: str, option: str, n: int = 1, ident: str = QUESTION) -> dict:
    """A poll vote exactly as Mastodon sends one: no published, no proof."""
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{who}#votes/{n}/activity",
            "type": "Create", "actor": who, "to": POOL,
            "object": {"id": f"{who}#votes/{n}", "type": "Note", "name": option,
                       "attributedTo": who, "inReplyTo": ident, "to": POOL}}


def recorded(activity: dict, when: str, by: str = POOL) -> dict:
    """``activity`` as the pool records it on arrival from another server."""
    return {"id": f"{activity['id']}#recorded", "type": "Add", "actor": by, "published": when,
            "object": activity, "target": QUESTION}


def delegate(who: str, to: str, when: str, n: int = 0, scope: str = POOL) -> dict:
    return {"id": f"{who}/delegations/{n}", "type": ["Activity", "Delegate"], "actor": who,
            "object": to, "target": scope, "published": when}


def undelegate(who: str, n: int, when: str) -> dict:
    return {"id": f"{who}/delegations/{n}#undo", "type": "Undo", "actor": who,
            "object": f"{who}/delegations/{n}", "published": when}


def governed_garden(node, password: str) -> str:
    """On ``node``: alice, bob and carol (with ``password``), garden stewarded by bob, validated
    work today by alice and carol, governance adopted, and an open proposal; its URL."""
    for name in ("alice", "bob", "carol"):
        create_actor(node, "person", name)
        accounts.set_password(node, name, password)
    create_pool(node, "garden", name="Garden", stewards=["bob"])
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    for name in ("alice", "carol"):
        cid = contributions.contribute(node, pool="garden", person=name, effort="1h", kind="code",
                                       summary="work", when=today)
        contributions.decide(node, cid, "bob")
    proposals.adopt(node, "garden", steward="bob")
    return proposals.propose(node, "garden", proposer="alice", title="Relicense <as CC0>",
                             change={"license": "CC0-1.0"},
                             ends=datetime.now(timezone.utc) + timedelta(hours=1))["object"]["id"]
