"""Contributing, validating and endorsing on this node."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from ... import activities, urls
from ...effort import parse_effort
from ...errors import BadInput, Conflict, Forbidden, NotFound
from ...node import Node, now
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..actors.actors import require
from ..actors.signing import sign_as
from ..log import log_writer

MAX_SUMMARY = 500
MAX_EVIDENCE = 20
MAX_SHOWN = 100  # characters of a refused value quoted back in an error
# An http(s) URL with a host, and no whitespace anywhere (it is shown and linked as is).
_EVIDENCE_URL = re.compile(r"https?://[^/?#\s]+(?:[/?#]\S*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    """A checked request to record a contribution, ready to be signed."""

    pool: ActorRow
    person: ActorRow
    minutes: int
    kind: str
    summary: str
    evidence: tuple[str, ...]
    published: str


def check_claim(node: Node, *, pool: ActorRow, person: ActorRow, effort: str, kind: str,
                summary: str, evidence: list[str] | tuple[str, ...] = (),
                when: str | None = None) -> Claim:
    """Check every field of a contribution; BadInput says which one is wrong."""
    minutes = parse_effort(effort)
    kind = (kind or "").strip().lower().lstrip("#")
    summary = " ".join((summary or "").split())
    evidence = tuple(evidence)
    check_fields(node.config.kinds, kind=kind, summary=summary, evidence=evidence)
    return Claim(pool, person, minutes, kind, summary, evidence, _published(when))


def check_fields(kinds: tuple[str, ...], *, kind: object, summary: object, evidence: list | tuple) -> None:
    """The rules every contribution meets, whichever way it came in (the command line, a
    form, the ActivityPub API, an import, another server); BadInput says which one it breaks.
    A remote contribution is checked as it was signed, so nothing here rewrites a field."""
    if kind not in kinds:
        raise BadInput(f"unknown kind {kind!r}: use one of {', '.join(kinds)}")
    shown = " ".join(summary.split()) if isinstance(summary, str) else ""  # as pages show it
    if not shown:
        raise BadInput("a contribution needs a summary of what was done (--summary TEXT)")
    if len(shown) > MAX_SUMMARY:
        raise BadInput(f"the summary is {len(shown)} characters; keep it under {MAX_SUMMARY}")
    if len(evidence) > MAX_EVIDENCE:
        raise BadInput(f"at most {MAX_EVIDENCE} evidence links")
    for link in evidence:
        if not isinstance(link, str) or not _EVIDENCE_URL.fullmatch(link):
            # a link from another server may be of any size: name only its start
            raise BadInput(f"evidence must be http(s) URLs, not {repr(link)[:MAX_SHOWN]}")


def _published(when: str | None) -> str:
    if not when:
        return now()
    text = when.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except ValueError as exc:
        raise BadInput(f"cannot read date {when!r}: use YYYY-MM-DD or an ISO 8601 time") from exc
    moment = moment.astimezone(timezone.utc)
    if moment > datetime.now(timezone.utc):
        raise BadInput(f"date {when!r} is in the future")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def contribution_activity(node: Node, claim: Claim, import_key: str | None = None) -> log_writer.Pending:
    """The signed Create{Contribution} for a checked claim, ready for the log. One imported
    from a row names the row's `import_key`, and its id follows from that key."""
    pool, person = claim.pool, claim.person
    activity = activities.contribution(
        activity_id=urls.new_activity(node.url),
        contribution_id=(urls.imported_contribution(node.url, pool.id, import_key) if import_key
                         else urls.new_contribution(node.url)),
        actor=person.id, provider=person.id, pool=pool.id,
        pool_name=pool.display_name or pool.name, provider_name=person.display_name or person.name,
        minutes=claim.minutes, kind=claim.kind, summary=claim.summary, published=claim.published,
        evidence=list(claim.evidence), cc=followers_of(person, pool), import_key=import_key,
    )
    # Built from checked strings and a minute count under a week, with our own ASCII keys:
    # nothing in it needs the careful canonical path.
    return sign_as(node, person, activity, plain=True)


def followers_of(*actors: ActorRow) -> list[str]:
    """The followers collections of the local actors among `actors` (who hears of an entry)."""
    return [f"{a.id}/followers" for a in actors if a.local]


def contribute(node: Node, *, pool: str | ActorRow, person: str, effort: str, kind: str, summary: str,
               evidence: list[str] | tuple[str, ...] = (), when: str | None = None) -> str:
    """Record a contribution to a pool (a local slug, or a resolved remote pool); returns its id.

    A contribution to a remote pool is logged here and delivered to the pool's server.
    """
    claim = check_claim(
        node, pool=pool if isinstance(pool, ActorRow) else require(node, pool, "pool"),
        person=require(node, person, "person"),
        effort=effort, kind=kind, summary=summary, evidence=evidence, when=when,
    )
    pending = contribution_activity(node, claim)
    log_writer.append(node, [pending])
    return pending.activity["object"]["id"]


def decide(node: Node, contribution_id: str, steward: str, *, reject: bool = False,
           reason: str | None = None) -> dict:
    """A steward validates (Accept) or rejects (Reject) a contribution; returns the activity."""
    reason = " ".join((reason or "").split()) or None
    if reject and not reason:
        raise BadInput("a rejection needs a reason (--reason TEXT) so the contributor knows why")
    if not reject and reason:
        raise BadInput("--reason goes with --reject")
    person = require(node, steward, "person")
    with transaction(node.db):
        row = _contribution(node, contribution_id)
        if person.id not in actor_store.stewards(node.db, row.pool):
            raise Forbidden(f"{steward} is not a steward of {row.pool}")
        if person.id == row.contributor:
            raise Forbidden(f"{steward} cannot validate their own contribution; another steward must")
        if row.status != "pending":
            raise Conflict(f"{contribution_id} was already {row.status} by {row.decided_by}")
        pool = actor_store.actor(node.db, row.pool)
        activity = activities.decision(
            activity_id=urls.new_activity(node.url), steward=person.id,
            contribution_id=row.id, contributor=row.contributor, accept=not reject,
            published=now(), reason=reason, followers=f"{pool.id}/followers" if pool else None,
        )
        pending = sign_as(node, person, activity)
        log_writer.append(node, [pending])
    return pending.activity


def endorse(node: Node, contribution_id: str, endorser: str, *, weight: float | None = None) -> dict:
    """A person vouches for someone else's contribution (Like); returns the activity."""
    if weight is not None and not 0 < weight <= 1:
        raise BadInput(f"--weight must be in (0, 1], got {weight}")
    person = require(node, endorser, "person")
    with transaction(node.db):
        row = _contribution(node, contribution_id)
        if person.id == row.contributor:
            raise Forbidden("endorsing your own contribution counts for nothing; ask a peer")
        if contribution_store.has_endorsed(node.db, row.id, person.id):
            raise Conflict(f"{endorser} already endorsed {contribution_id}")
        activity = activities.endorsement(
            activity_id=urls.new_activity(node.url), actor=person.id, contribution_id=row.id,
            contributor=row.contributor, published=now(), weight=weight,
            followers=f"{row.pool}/followers",
        )
        pending = sign_as(node, person, activity)
        log_writer.append(node, [pending])
    return pending.activity


def _contribution(node: Node, contribution_id: str) -> contribution_store.ContributionRow:
    row = contribution_store.contribution(node.db, contribution_id)
    if row is None:
        raise NotFound(f"no contribution {contribution_id} on this node (see `fedcommons log show`)")
    return row
