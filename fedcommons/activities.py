"""Builders for the activities a node writes. Pure: ids and times are passed in.

Every object of our own types carries a core ActivityStreams type first (Fedify rejects an
object whose only type it does not know) and human-readable `content`, so any fediverse
server can show it.
"""

from functools import lru_cache
from html import escape

from .effort import format_effort
from .ld.canonical import freeze_plain
from .ld.context import AS, DATA_INTEGRITY_V2, MULTIKEY_V1, SECURITY_V1, fc_context

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# The terms of ours each kind of activity uses. Like Mastodon, we inline only those: the
# full context is ~3 KB, and it would be stored, hashed and signed with every entry.
CONTRIBUTION_TERMS = ("Contribution", "Measure", "provider", "receiver", "action", "kind",
                      "effortQuantity", "hasUnit", "hasNumericalValue", "evidence", "claim")
# Only imported contributions carry importKey: the others keep their bytes as they were.
IMPORTED_CONTRIBUTION_TERMS = (*CONTRIBUTION_TERMS, "importKey")
# Contributions read from a source (git, citations) name the work and the effort rule.
SOURCED_CONTRIBUTION_TERMS = (*CONTRIBUTION_TERMS, "sourceKey", "effortRule", "method", "parameters")
# Actor and pool descriptions also carry their keys: security v1 (publicKey) and
# multikey v1 (Multikey), as on the actor documents we serve.
ACTOR_TERMS = ("CommonPool", "Cooperative", "assertionMethod", "manuallyApprovesFollowers",
               "stewards", "license", "standingMethod", "method", "parameters", "sustains", "pool",
               "weight", "logOrigin", "logVerifierKey", "logCheckpoint")
ACTOR_BASE = (AS, SECURITY_V1, DATA_INTEGRITY_V2, MULTIKEY_V1)


@lru_cache(maxsize=None)
def context_for(terms: tuple[str, ...] = (), base: tuple[str, ...] = (AS, DATA_INTEGRITY_V2)) -> tuple:
    """`base` followed by {our terms in `terms`, with the prefixes they need}."""
    full = fc_context()
    inline = {key: full[key] for key in ("@version", "fc", "vf", "om2") if key in full}
    for term in terms:
        inline[term] = full[term]
    return (*base, freeze_plain(inline)) if terms else base


def _context(terms: tuple[str, ...] = (), base: tuple[str, ...] = (AS, DATA_INTEGRITY_V2)) -> list:
    return list(context_for(terms, base))


def contribution(
    *, activity_id: str, contribution_id: str, actor: str, provider: str, pool: str,
    pool_name: str, provider_name: str, minutes: int, kind: str, summary: str, published: str,
    evidence: list[str] | None = None, claim: str | None = None, cc: list[str] | None = None,
    import_key: str | None = None, source_key: str | None = None, effort_rule: dict | None = None,
) -> dict:
    """Create{["Note", "Contribution"]}: `provider` put `minutes` of `kind` work into `pool`.

    `actor` is the provider, or the pool itself when it records a claim read from a Note.
    `import_key` names the row of a bulk import the contribution was read from;
    `source_key` the work a source import read it from, and `effort_rule` the rule
    (``{"method", "parameters"}``) that gave its effort.
    """
    text = f"{provider_name} put {format_effort(minutes)} of {kind} into {pool_name}: {summary}"
    to = [pool] if actor != pool else [provider]
    cc = list(cc or [])
    obj = {
        "id": contribution_id,
        "type": ["Note", "Contribution"],
        "attributedTo": provider,
        "provider": provider,
        "receiver": pool,
        "action": "work",
        "kind": kind,
        "effortQuantity": {"type": "Measure", "hasUnit": "minute", "hasNumericalValue": minutes},
        "name": summary,
        "content": f"<p>{escape(text)}</p>",
        "published": published,
        "to": to,
        "cc": cc,
    }
    if evidence:
        obj["evidence"] = list(evidence)
    if claim:
        obj["claim"] = claim
    if import_key:
        obj["importKey"] = import_key
    if source_key:
        obj["sourceKey"] = source_key
        obj["effortRule"] = effort_rule
    terms = (SOURCED_CONTRIBUTION_TERMS if source_key else
             IMPORTED_CONTRIBUTION_TERMS if import_key else CONTRIBUTION_TERMS)
    return {
        "@context": _context(terms),
        "id": activity_id,
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": to,
        "cc": cc,
        "object": obj,
    }


def decision(
    *, activity_id: str, steward: str, contribution_id: str, contributor: str, accept: bool,
    published: str, reason: str | None = None, followers: str | None = None,
) -> dict:
    """Accept (validation) or Reject of a contribution by a steward, addressed to its author."""
    activity = {
        "@context": _context(),
        "id": activity_id,
        "type": "Accept" if accept else "Reject",
        "actor": steward,
        "object": contribution_id,
        "published": published,
        "to": [contributor],
        "cc": [followers] if followers else [],
    }
    if reason:
        activity["content"] = reason
    return activity


def endorsement(*, activity_id: str, actor: str, contribution_id: str, contributor: str,
                published: str, weight: float | None = None, followers: str | None = None) -> dict:
    """Like of a contribution: a peer vouches for it."""
    activity = {
        "@context": _context(("weight",)) if weight is not None else _context(),
        "id": activity_id,
        "type": "Like",
        "actor": actor,
        "object": contribution_id,
        "published": published,
        "to": [contributor],
        "cc": [followers] if followers else [],
    }
    if weight is not None:
        activity["weight"] = weight
    return activity


def create_object(*, activity_id: str, actor: str, obj: dict, published: str) -> dict:
    """Create of an actor or pool description, recorded so the log carries its own keys."""
    return {
        "@context": _context(ACTOR_TERMS, ACTOR_BASE),
        "id": activity_id,
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": [PUBLIC],
        "object": obj,
    }


def update_object(*, activity_id: str, actor: str, obj: dict, published: str) -> dict:
    """Update of an actor or pool (key rotation, a new standing method)."""
    return {
        "@context": _context(ACTOR_TERMS, ACTOR_BASE),
        "id": activity_id,
        "type": "Update",
        "actor": actor,
        "published": published,
        "to": [PUBLIC],
        "object": obj,
    }


def create_signed(*, activity_id: str, actor: str, obj: dict, published: str, to: list[str],
                  cc: list[str]) -> dict:
    """Create of an object that carries its own context and proof (a Distribution)."""
    return {
        "@context": _context(),
        "id": activity_id,
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": list(to),
        "cc": list(cc),
        "object": obj,
    }


def reply(*, activity_id: str, actor: str, to: str, in_reply_to: str, text: str, published: str) -> dict:
    """Create{Note}: `actor` answers the Note `in_reply_to` of `to`, mentioning them."""
    return {
        "@context": _context(),
        "id": activity_id,
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": [to],
        "object": {
            "id": activity_id + "#note",
            "type": "Note",
            "attributedTo": actor,
            "inReplyTo": in_reply_to,
            "content": f"<p>{escape(text)}</p>",
            "to": [to],
            "tag": [{"type": "Mention", "href": to}],
            "published": published,
        },
    }


def follow(*, activity_id: str, actor: str, target: str, published: str) -> dict:
    """Follow of `target` by `actor`."""
    return {
        "@context": _context(),
        "id": activity_id,
        "type": "Follow",
        "actor": actor,
        "object": target,
        "to": [target],
        "published": published,
    }


def follow_answer(*, activity_id: str, actor: str, follower: str, follow_id: str, accept: bool,
                  published: str) -> dict:
    """Accept or Reject, by the followed `actor`, of the Follow `follow_id` by `follower`."""
    return {
        "@context": _context(),
        "id": activity_id,
        "type": "Accept" if accept else "Reject",
        "actor": actor,
        "object": {"id": follow_id, "type": "Follow", "actor": follower, "object": actor},
        "to": [follower],
        "published": published,
    }


def undo_follow(*, activity_id: str, actor: str, follow_id: str, followee: str, published: str) -> dict:
    """Undo of the Follow `follow_id` of `followee` by `actor`."""
    return undo(activity_id=activity_id, actor=actor, published=published, to=[followee],
                obj={"id": follow_id, "type": "Follow", "actor": actor, "object": followee})


def undo(*, activity_id: str, actor: str, obj, published: str, to: list[str], cc: list[str] = ()) -> dict:
    """Undo of one of `actor`'s activities (a Like, a Follow)."""
    return _addressed("Undo", activity_id, actor, obj, published, to, cc)


def delete(*, activity_id: str, actor: str, obj, published: str, to: list[str], cc: list[str] = ()) -> dict:
    """Delete of something `actor` posted (a contribution they withdraw)."""
    return _addressed("Delete", activity_id, actor, obj, published, to, cc)


def _addressed(kind: str, activity_id: str, actor: str, obj, published: str, to, cc) -> dict:
    activity = {"@context": _context(), "id": activity_id, "type": kind, "actor": actor, "object": obj,
                "published": published, "to": list(to)}
    if cc:
        activity["cc"] = list(cc)
    return activity


def flag(*, activity_id: str, actor: str, target: str, text: str, published: str, to: list[str],
         attachment: list[dict]) -> dict:
    """Flag of `target`: `text` says why, `attachment` carries the evidence."""
    return {
        "@context": _context(),
        "id": activity_id,
        "type": "Flag",
        "actor": actor,
        "object": target,
        "content": f"<p>{escape(text, quote=False)}</p>",
        "published": published,
        "to": to,
        "attachment": attachment,
    }
