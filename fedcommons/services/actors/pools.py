"""Common pools: created with stewards, a licence and a standing method."""

import re

from ... import activities, urls
from ...errors import BadInput, Forbidden
from ...node import Node, now
from ...standing import validate_parameters
from ...store import actors as actor_store
from ...store import governance as governance_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..log import log_writer
from .actors import create_actor, require
from .signing import sign_as

# SPDX license expressions: identifiers joined by AND / OR / WITH, optionally in parentheses.
SPDX_EXPRESSION = re.compile(r"^[A-Za-z0-9.+-]+(?:\s+(?:AND|OR|WITH)\s+\(?[A-Za-z0-9.+-]+\)?)*$")

DEFAULT_STANDING = {"method": "effort/1", "parameters": {}}


def create_pool(node: Node, slug: str, *, name: str, stewards: list[str],
                license: str | None = None, summary: str | None = None,
                approve_followers: bool = False) -> ActorRow:
    """A new pool on this node; its stewards must be local people. With `approve_followers`,
    a steward answers each Follow (`fedcommons pool approve`)."""
    if not stewards:
        raise BadInput("a pool needs at least one steward (--steward NAME)")
    if license is not None and not SPDX_EXPRESSION.match(license.strip("()")):
        raise BadInput(f"--license {license!r} is not an SPDX license expression (for example MIT or CC-BY-SA-4.0)")
    steward_ids = sorted({require(node, s, "person").id for s in stewards})
    extra = {"stewards": steward_ids, "standingMethod": DEFAULT_STANDING}
    if license:
        extra["license"] = license
    if approve_followers:
        extra["manuallyApprovesFollowers"] = True
    return create_actor(node, "pool", slug, display_name=name, summary=summary, extra=extra)


def set_method(node: Node, slug: str, *, method: str, parameters: dict | None, steward: str) -> dict:
    """A steward changes the pool's standing method: a signed Update in the pool's log,
    effective from its ``published`` time. Returns the activity.

    The parameters are stored in full (defaults filled in), as Standing documents state
    them, so a later change of a default cannot change what the pool chose.
    """
    normalized = validate_parameters(method, parameters)
    pool = require(node, slug, "pool")
    person = require(node, steward, "person")
    with transaction(node.db):
        if person.id not in actor_store.stewards(node.db, pool.id):
            raise Forbidden(f"{steward} is not a steward of {pool.id}; only a steward can change its method")
        if governance_store.governance(node.db, pool.id) is not None:
            raise Forbidden(f"{slug} has adopted governance: its standing method changes only when a proposal "
                            f"passes (`fedcommons propose {slug} --as NAME --title TEXT --change JSON`)")
        activity = activities.update_object(
            activity_id=urls.new_activity(node.url), actor=person.id, published=now(),
            obj={"id": pool.id, "type": ["Group", "CommonPool"],
                 "standingMethod": {"method": method, "parameters": normalized}},
        )
        activity["cc"] = [f"{pool.id}/followers"]
        pending = sign_as(node, person, activity)
        log_writer.append(node, [pending])
    return pending.activity
