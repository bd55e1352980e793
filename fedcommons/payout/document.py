"""The unsigned ``fc:Distribution`` document, its CSV for the bookkeeper, and its recomputation.

A Distribution states everything needed to recompute it:

- ``amount`` and every payout ``amount`` are decimal strings with exactly the
  currency's number of decimals ("10000.00" EUR, "5000" JPY), so the exponent of a unit
  outside ISO 4217 (hours, a LETS unit) is read back from the amount itself;
- ``constraints`` as :func:`~fedcommons.payout.constraints.constraints_to_json` writes it
  (an absent key is an unset constraint, so an absent ``maxRatio`` means no ratio);
- ``inputs``: one reference per Standing used, ``{"id", "type", "pool", "weight",
  "checkpoint"}`` with the pool's sustain weight and the checkpoint the standing was
  computed from; and, for ``balanced``, one ``{"id", "type"}`` per earlier Distribution
  of the same cooperative and currency, whose payouts are what was already paid.

The caller adds ``id``, wraps it in a ``Create`` and signs it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from fedcommons.errors import BadInput
from fedcommons.ld.context import activity_context
from fedcommons.payout.allocate import Allocation
from fedcommons.payout.constraints import (
    Constraints, constraints_from_json, constraints_to_json, decimal_fraction, decimal_text,
)
from fedcommons.payout.money import Currency, currency, decimals_of, parse_amount
from fedcommons.payout.policies import POLICIES, PoolStanding, compute_payouts

DISTRIBUTION_TYPE = ["Document", "Distribution"]
STANDING_TYPE = ["Document", "Standing"]

# A calendar year, month or day, or an interval of two of them ("2026-10", "2026-01/2026-06").
_PERIOD = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?")


@dataclass(frozen=True)
class StandingRef:
    """A Standing a distribution was computed from: its URL, pool, sustain weight, checkpoint."""

    id: str
    pool: str
    weight: Fraction
    checkpoint: dict

    def as_input(self) -> dict:
        """The reference as it appears in ``inputs``."""
        return {"id": self.id, "type": list(STANDING_TYPE), "pool": self.pool,
                "weight": decimal_text(self.weight) or "", "checkpoint": dict(self.checkpoint)}


@dataclass(frozen=True)
class DistributionTerms:
    """A Distribution document read back and checked: amounts in minor units."""

    cooperative: str
    amount: int
    unit: Currency
    policy: str
    constraints: Constraints
    period: str | None
    standings: tuple[StandingRef, ...]
    previous: tuple[str, ...]
    payouts: dict[str, int]


def _url(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise BadInput(f"{what} must be an http(s) URL, not {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput(f"{what} must be an http(s) URL, not {value!r}")
    return value


def _checkpoint(value: Any, what: str) -> dict:
    if not isinstance(value, Mapping):
        raise BadInput(f"{what} needs a checkpoint with origin, treeSize and rootHash")
    origin, size, root = value.get("origin"), value.get("treeSize"), value.get("rootHash")
    if type(origin) is not str or not origin or type(root) is not str or not root:
        raise BadInput(f"{what}: checkpoint origin and rootHash must be non-empty strings")
    if type(size) is not int or size < 0:
        raise BadInput(f"{what}: checkpoint treeSize must be a whole number >= 0, not {size!r}")
    return {"origin": origin, "treeSize": size, "rootHash": root}


def standing_input(url: str, standing: Mapping[str, Any], sustain_weight: str = "1") -> dict:
    """The ``inputs`` entry for the Standing document ``standing`` published at ``url``."""
    if not isinstance(standing, Mapping):
        raise BadInput(f"the standing at {url} is not a JSON object")
    weight = decimal_fraction(sustain_weight, "sustain weight")
    if weight <= 0:
        raise BadInput(f"sustain weight of {url} must be more than zero")
    return StandingRef(_url(url, "standing URL"), _url(standing.get("pool"), "standing pool"),
                       weight, _checkpoint(standing.get("checkpoint"), url)).as_input()


def distribution_input(url: str) -> dict:
    """The ``inputs`` entry for an earlier Distribution (what ``balanced`` counts as paid)."""
    return {"id": _url(url, "distribution URL"), "type": list(DISTRIBUTION_TYPE)}


def standing_shares(standing: Mapping[str, Any]) -> dict[str, str]:
    """Contributor URL -> share (decimal string) from a Standing document's rows."""
    rows = standing.get("standings") if isinstance(standing, Mapping) else None
    if not isinstance(rows, list):
        raise BadInput("a Standing document lists its rows under 'standings'")
    out: dict[str, str] = {}
    for row in rows:
        if not isinstance(row, Mapping) or not isinstance(row.get("share"), str):
            raise BadInput("each standing row needs a contributor and a share")
        who = _url(row.get("contributor"), "standing contributor")
        if who in out:
            raise BadInput(f"{who} appears twice in the standing")
        out[who] = row["share"]
    return out


def _read_inputs(inputs: Any, policy: str) -> tuple[tuple[StandingRef, ...], tuple[str, ...]]:
    if not isinstance(inputs, list) or not inputs:
        raise BadInput("inputs must list at least one Standing")
    standings, previous, seen = [], [], set()
    for entry in inputs:
        if not isinstance(entry, Mapping):
            raise BadInput("each input must be an object with id and type")
        url = _url(entry.get("id"), "input id")
        if url in seen:
            raise BadInput(f"input {url} is listed twice")
        seen.add(url)
        kind = entry.get("type")
        if kind == STANDING_TYPE:
            weight = decimal_fraction(entry.get("weight", "1"), f"weight of {url}")
            if weight <= 0:
                raise BadInput(f"sustain weight of {url} must be more than zero")
            standings.append(StandingRef(url, _url(entry.get("pool"), f"pool of {url}"), weight,
                                         _checkpoint(entry.get("checkpoint"), url)))
        elif kind == DISTRIBUTION_TYPE:
            if policy != "balanced":
                raise BadInput(f"earlier distributions are inputs only to the balanced policy, not {policy}")
            previous.append(url)
        else:
            raise BadInput(f"input {url} has type {kind!r}; expected {STANDING_TYPE} or {DISTRIBUTION_TYPE}")
    if not standings:
        raise BadInput("inputs must list at least one Standing")
    return (tuple(sorted(standings, key=lambda s: s.id)), tuple(sorted(previous)))


def distribution_document(cooperative: str, amount: int, currency_code: str, exponent: int,
                          policy: str, constraints: Constraints, period: str | None,
                          inputs: list[dict], payouts: Mapping[str, int], *,
                          context: list | None = None) -> dict:
    """The unsigned Distribution; BadInput unless the payouts add up to ``amount``.

    ``inputs`` come from :func:`standing_input` and :func:`distribution_input`;
    ``payouts`` map recipient URL to minor units. ``context`` defaults to
    :func:`fedcommons.ld.context.activity_context`.
    """
    unit = currency(currency_code, exponent)
    if policy not in POLICIES:
        raise BadInput(f"unknown policy {policy!r}: choose one of {', '.join(POLICIES)}")
    if not isinstance(constraints, Constraints):
        raise BadInput("constraints must be a Constraints")
    if period is not None and (not isinstance(period, str) or not _PERIOD.fullmatch(period)):
        raise BadInput(f"period {period!r} must look like 2026, 2026-10, 2026-10-01 or 2026-01/2026-06")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise BadInput(f"amount must be a positive whole number of minor units, not {amount!r}")
    standings, previous = _read_inputs(inputs, policy)
    rows = []
    for recipient in sorted(payouts):
        value = payouts[recipient]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadInput(f"payout to {recipient} must be whole minor units, zero or more, not {value!r}")
        rows.append({"recipient": _url(recipient, "recipient"), "amount": unit.to_string(value)})
    paid = sum(payouts.values())
    if paid != amount:
        raise BadInput(f"payouts add up to {unit.display(paid)}, not the amount {unit.display(amount)}")
    if context is None:
        context = activity_context()
    document: dict[str, Any] = {
        "@context": context,
        "type": list(DISTRIBUTION_TYPE),
        "cooperative": _url(cooperative, "cooperative"),
        "amount": unit.to_string(amount),
        "currency": unit.code,
        "policy": policy,
        "constraints": constraints_to_json(constraints, unit),
    }
    if period is not None:
        document["period"] = period
    document["inputs"] = [s.as_input() for s in standings] + [distribution_input(u) for u in previous]
    document["payouts"] = rows
    return document


def read_distribution(document: Mapping[str, Any]) -> DistributionTerms:
    """Parse and check a Distribution document (ours or a peer's) into minor units."""
    if not isinstance(document, Mapping) or document.get("type") != DISTRIBUTION_TYPE:
        raise BadInput(f"not a Distribution: type must be {DISTRIBUTION_TYPE}")
    exponent = decimals_of(document.get("amount"))
    code = document.get("currency")
    if not isinstance(code, str):
        raise BadInput("a Distribution names its currency")
    unit = currency(code, exponent)
    if unit.code != code:
        raise BadInput(f"currency {code!r} must be written {unit.code!r}")
    amount = parse_amount(document["amount"], unit)
    policy = document.get("policy")
    if policy not in POLICIES:
        raise BadInput(f"unknown policy {policy!r}: choose one of {', '.join(POLICIES)}")
    constraints = constraints_from_json(document.get("constraints", {}), unit)
    period = document.get("period")
    if period is not None and (not isinstance(period, str) or not _PERIOD.fullmatch(period)):
        raise BadInput(f"period {period!r} is not a year, month, day or interval of them")
    standings, previous = _read_inputs(document.get("inputs"), policy)
    rows = document.get("payouts")
    if not isinstance(rows, list):
        raise BadInput("a Distribution lists its payouts")
    payouts: dict[str, int] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            raise BadInput("each payout must be an object with recipient and amount")
        recipient = _url(row.get("recipient"), "recipient")
        if recipient in payouts:
            raise BadInput(f"{recipient} is paid twice")
        if decimals_of(row.get("amount")) != exponent:
            raise BadInput(f"payout to {recipient} must have {exponent} decimals like the amount")
        payouts[recipient] = parse_amount(row["amount"], unit, what=f"payout to {recipient}", allow_zero=True)
    if sum(payouts.values()) != amount:
        raise BadInput(f"payouts add up to {unit.display(sum(payouts.values()))}, "
                       f"not the amount {unit.display(amount)}")
    return DistributionTerms(_url(document.get("cooperative"), "cooperative"), amount, unit, policy,
                             constraints, period, standings, previous, payouts)


def payouts_csv(document: Mapping[str, Any]) -> str:
    """The payouts as RFC 4180 CSV (CRLF, header ``recipient,amount,currency``)."""
    terms = read_distribution(document)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["recipient", "amount", "currency"])
    for recipient, minor in sorted(terms.payouts.items()):
        writer.writerow([recipient, terms.unit.to_string(minor), terms.unit.code])
    return out.getvalue()


def paid_totals(distributions: Iterable[Mapping[str, Any]], cooperative: str,
                unit: Currency) -> dict[str, int]:
    """Minor units each person was paid across ``distributions`` of one cooperative and currency."""
    totals: dict[str, int] = {}
    for document in distributions:
        terms = read_distribution(document)
        if terms.cooperative != cooperative:
            raise BadInput(f"{document.get('id')} is a distribution of {terms.cooperative}, not {cooperative}")
        if terms.unit != unit:
            raise BadInput(f"{document.get('id')} pays in {terms.unit.code}, not {unit.code}")
        for recipient, minor in terms.payouts.items():
            totals[recipient] = totals.get(recipient, 0) + minor
    return totals


def recompute(document: Mapping[str, Any], standings: Mapping[str, Mapping[str, Any]],
              previous: Iterable[Mapping[str, Any]] = ()) -> Allocation:
    """Recompute a published Distribution from its inputs.

    ``standings`` maps each Standing input's URL to that Standing document, ``previous``
    holds the earlier Distributions a ``balanced`` one lists. BadInput if an input is
    missing or does not match its reference (pool, checkpoint); compare the result with
    :func:`payout_differences`.
    """
    terms = read_distribution(document)
    pools = []
    for ref in terms.standings:
        standing = standings.get(ref.id)
        if standing is None:
            raise BadInput(f"the standing {ref.id} is needed to recompute this distribution")
        if not isinstance(standing, Mapping):
            raise BadInput(f"the standing {ref.id} is not a JSON object")
        if standing.get("pool") != ref.pool:
            raise BadInput(f"{ref.id} is the standing of {standing.get('pool')}, not {ref.pool}")
        if _checkpoint(standing.get("checkpoint"), ref.id) != ref.checkpoint:
            raise BadInput(f"{ref.id} was computed at another checkpoint than the distribution names")
        pools.append(PoolStanding(ref.pool, ref.weight, standing_shares(standing)))
    paid = None
    if terms.policy == "balanced":
        earlier = list(previous)
        ids = sorted(str(d.get("id")) for d in earlier)
        if ids != list(terms.previous):
            raise BadInput(f"the earlier distributions given ({len(ids)}) are not the ones the "
                           f"distribution lists as inputs ({len(terms.previous)})")
        paid = paid_totals(earlier, terms.cooperative, terms.unit)
    return compute_payouts(terms.policy, pools, terms.amount, terms.constraints,
                           paid=paid, unit=terms.unit)


def payout_differences(document: Mapping[str, Any], payouts: Mapping[str, int]) -> list[str]:
    """Human-readable differences between a document's payouts and ``payouts``; empty if equal."""
    terms = read_distribution(document)
    unit, published = terms.unit, terms.payouts
    differences = []
    for recipient in sorted(set(published) | set(payouts)):
        mine, theirs = payouts.get(recipient), published.get(recipient)
        if mine == theirs:
            continue
        shown_theirs = "nothing" if theirs is None else unit.display(theirs)
        shown_mine = "nothing" if mine is None else unit.display(mine)
        differences.append(f"{recipient}: published {shown_theirs}, recomputed {shown_mine}")
    return differences
