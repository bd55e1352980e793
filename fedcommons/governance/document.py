"""The unsigned ``fc:Tally`` document: a proposal's counted votes, totals and outcome, and
the log state they were computed from. The caller adds ``id``, ``attributedTo`` and the
node's proof, as for a Standing document."""

from __future__ import annotations

from decimal import Decimal

from fedcommons.ld.context import activity_context
from fedcommons.standing.clock import format_micros

from .tally import Tally

TALLY_TYPE = ["Document", "Tally"]


def weight_text(value: Decimal) -> str:
    """A weight as a plain decimal string: '1', '12.5'."""
    return format(value.normalize(), "f")


def tally_document(tally: Tally, checkpoint: dict) -> dict:
    """The Tally document for ``tally``, computed from the log up to ``checkpoint``."""
    proposal = tally.proposal
    return {
        "@context": activity_context(),
        "type": list(TALLY_TYPE),
        "proposal": proposal.id,
        "governs": proposal.governs,
        "asOf": format_micros(tally.as_of),
        "endTime": format_micros(proposal.end),
        "checkpoint": dict(checkpoint),
        "governance": tally.settings.as_dict(),
        "electorateWeight": weight_text(tally.electorate_weight),
        "participation": weight_text(tally.participation),
        "votes": [{"elector": v.elector, "option": v.option, "weight": weight_text(v.weight), "path": list(v.path)}
                  for v in tally.counted],
        "uncounted": [{"voter": u.who, "reason": u.reason, **({"path": list(u.path)} if u.path else {})}
                      for u in tally.uncounted],
        "totals": [{"option": name, "weight": weight_text(weight)} for name, weight in tally.totals.items()],
        "outcome": tally.outcome,
        "winner": tally.winner,
    }
