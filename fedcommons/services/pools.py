"""Common pools: created with stewards, a licence and a standing method."""

import re

from ..errors import BadInput
from ..store.actors import ActorRow
from ..node import Node
from .actors import create_actor, require

# SPDX license expressions: identifiers joined by AND / OR / WITH, optionally in parentheses.
_SPDX = re.compile(r"^[A-Za-z0-9.+-]+(?:\s+(?:AND|OR|WITH)\s+\(?[A-Za-z0-9.+-]+\)?)*$")

DEFAULT_STANDING = {"method": "effort/1", "parameters": {}}


def create_pool(node: Node, slug: str, *, name: str, stewards: list[str],
                license: str | None = None, summary: str | None = None) -> ActorRow:
    """A new pool on this node; its stewards must be local people."""
    if not stewards:
        raise BadInput("a pool needs at least one steward (--steward NAME)")
    if license is not None and not _SPDX.match(license.strip("()")):
        raise BadInput(f"--license {license!r} is not an SPDX license expression (for example MIT or CC-BY-SA-4.0)")
    steward_ids = sorted({require(node, s, "person").id for s in stewards})
    extra = {"stewards": steward_ids, "standingMethod": DEFAULT_STANDING}
    if license:
        extra["license"] = license
    return create_actor(node, "pool", slug, display_name=name, summary=summary, extra=extra)
