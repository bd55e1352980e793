"""Aliases: which actor a source identity (a git e-mail, an ORCID) is, in a pool.

A steward confirms each one; nothing maps an identity by itself. Suggestions (the same
name, a ``.mailmap`` grouping, an ORCID on an actor's profile) are shown, never applied.
Confirming an alias records, in the same transaction, every item part that waited for it.
Aliases are private: the log names only the actor.
"""

from dataclasses import dataclass

from ...errors import BadInput, Forbidden, NotFound
from ...fields import is_http_url
from ...node import Node, now
from ...store import actors as actor_store
from ...store import imports as import_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..actors.actors import require
from ..log import log_writer
from .pipeline import Names, contribution_id, recorded_already, signed_contribution

MAX_KEY = 300


@dataclass(frozen=True)
class Suggestion:
    """An actor an unmapped identity may be, and why it is suggested."""

    actor: str
    why: str


@dataclass(frozen=True)
class Unmapped:
    """An identity with no alias: its name, the items waiting for it, and suggestions."""

    key: str
    name: str
    waiting: int
    suggestions: tuple[Suggestion, ...]

    def to_json(self) -> dict:
        return {"key": self.key, "name": self.name, "waiting": self.waiting,
                "suggestions": [{"actor": s.actor, "why": s.why} for s in self.suggestions]}


def _steward_pool(node: Node, pool: str, steward: str) -> tuple[ActorRow, ActorRow]:
    pool_row = require(node, pool, "pool")
    person = require(node, steward, "person")
    if person.id not in actor_store.stewards(node.db, pool_row.id):
        raise Forbidden(f"{steward} is not a steward of {pool}")
    return pool_row, person


def resolve_actor(node: Node, ref: str) -> str:
    """An actor URL from a local person's name or any actor URL; BadInput otherwise."""
    ref = (ref or "").strip()
    if "://" in ref:
        if not is_http_url(ref) or any(c.isspace() for c in ref):
            raise BadInput(f"an actor is a local name or an http(s) URL, not {ref[:100]!r}")
        return ref
    return require(node, ref, "person").id


def confirm(node: Node, pool: str, key: str, actor_ref: str, steward: str) -> int:
    """Map `key` to an actor in `pool`, as `steward` confirms; record what waited for it.
    Returns how many contributions were recorded. A key no source has named yet may be
    mapped ahead of the first import (a steward who knows a member's address)."""
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise BadInput(f"an identity is a printable key under {MAX_KEY} characters, such as email:alice@example.org")
    pool_row, person = _steward_pool(node, pool, steward)
    actor = resolve_actor(node, actor_ref)
    names = Names(node)
    with transaction(node.db):
        waiting = import_store.waiting_for(node.db, pool_row.id, key)
        import_store.add_alias(node.db, pool_row.id, key, actor, person.id, now())
        by_item: dict[str, tuple[int, dict]] = {}
        parts: dict[str, tuple[str, str]] = {}
        for item, run, data in waiting:
            cid = contribution_id(node, pool_row.id, item, actor, data.get("idTime"))
            by_item[cid], parts[cid] = (run, data), (item, actor)
        known = recorded_already(node, pool_row.id, parts)
        fresh = [cid for cid in by_item if cid not in known]
        pending = [signed_contribution(node, pool_row, actor, names(actor), by_item[cid][1], cid) for cid in fresh]
        log_writer.append(node, pending)
        import_store.add_recorded(node.db, [(cid, by_item[cid][0]) for cid in fresh])
        for run in {by_item[cid][0] for cid in fresh}:
            recorded = [by_item[cid][1] for cid in fresh if by_item[cid][0] == run]
            rules: dict[str, int] = {}
            for data in recorded:
                rules[data["rule"]["method"]] = rules.get(data["rule"]["method"], 0) + data["minutes"]
            import_store.add_to_run(node.db, run, recorded=len(recorded), minutes=rules)
        import_store.drop_waiting(node.db, pool_row.id, key)
    return len(pending)


def remove(node: Node, pool: str, key: str, steward: str) -> None:
    """Forget an alias (what it recorded stays in the log; a steward may reject it)."""
    pool_row, _ = _steward_pool(node, pool, steward)
    with transaction(node.db):
        if not import_store.remove_alias(node.db, pool_row.id, key):
            raise NotFound(f"{pool} has no alias {key!r} (see `fedcommons alias list`)")


def listing(node: Node, pool: str | None = None) -> list[dict]:
    """Every alias (of one pool, or all), as stewards see them."""
    pool_id = require(node, pool, "pool").id if pool else None
    return [{"pool": p, "key": k, "actor": a, "confirmedBy": by, "confirmedAt": at}
            for p, k, a, by, at in import_store.aliases(node.db, pool_id)]


def suggest(node: Node, pool: str) -> list[Unmapped]:
    """Every unmapped, non-bot identity of a pool with the items waiting for it and the
    actors it may be. Shown to stewards; nothing is applied."""
    pool_row = require(node, pool, "pool")
    rows = import_store.identities(node.db, pool_row.id)
    counts = import_store.waiting_counts(node.db, pool_row.id)
    mapped = {r.key: r.actor for r in rows if r.actor}
    by_name: dict[str, set[str]] = {}
    for r in rows:
        if r.actor:
            by_name.setdefault(r.name.casefold(), set()).add(r.actor)
    people = actor_store.local_actors(node.db, "person")
    found = []
    for r in rows:
        if r.actor or r.bot:
            continue
        suggestions: dict[str, str] = {}
        name = r.name.casefold()
        for person in people:
            if name and name in {(person.display_name or "").casefold(), (person.name or "").casefold()}:
                suggestions.setdefault(person.id, "same name")
            if r.key.startswith("orcid:") and person.summary and r.key[6:] in person.summary:
                suggestions.setdefault(person.id, "ORCID on the profile")
        for actor in sorted(by_name.get(name, ())):
            suggestions.setdefault(actor, "same name as a mapped identity")
        for other in r.aka:
            if other in mapped:
                suggestions.setdefault(mapped[other], f"the same person in .mailmap as {other}")
        for other in rows:
            if other.actor and r.key in other.aka:
                suggestions.setdefault(other.actor, f"the same person in .mailmap as {other.key}")
        found.append(Unmapped(r.key, r.name, counts.get(r.key, 0),
                              tuple(Suggestion(a, why) for a, why in suggestions.items())))
    found.sort(key=lambda u: (-u.waiting, u.key))
    return found


def pool_for(node: Node, key: str, steward: str) -> str:
    """The one pool of `steward`'s whose sources named `key`; BadInput when none or several
    (then the steward names it with --pool)."""
    person = require(node, steward, "person")
    found = [row.name for row in actor_store.local_actors(node.db, "pool")
             if person.id in actor_store.stewards(node.db, row.id)
             and any(i.key == key for i in import_store.identities(node.db, row.id))]
    if len(found) != 1:
        where = f"several of {steward}'s pools ({', '.join(found)})" if found else f"none of {steward}'s pools"
        raise BadInput(f"{key!r} was named in {where}: say which with --pool POOL")
    return found[0]
