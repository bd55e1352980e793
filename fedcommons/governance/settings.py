"""A pool's governance settings and the parameters governance decides.

Settings are a pool's ``governance`` object (``{"electorate", "activeDays", "quorum",
"majority"}``), set by the Update that adopts governance and afterwards only by an applied
proposal. Every field is optional; what is left out takes the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from fedcommons.errors import BadInput

CONTRIBUTORS = "contributors"  # validated work in the last activeDays: one vote each
STANDING = "standing"  # weighted by standing at the proposal's start
STEWARDS = "stewards"  # the stewards at the proposal's start, one vote each
MEMBERS = "members"  # a cooperative's members (its proposals only)
ELECTORATES = (CONTRIBUTORS, STANDING, STEWARDS)

DEFAULT_ACTIVE_DAYS = 90
DEFAULT_QUORUM = Fraction(1, 10)
DEFAULT_MAJORITY = Fraction(1, 2)
MAX_ACTIVE_DAYS = 36_500

# What a proposal may change, by the kind of actor it governs.
POOL_PARAMETERS = ("standingMethod", "stewards", "license", "manuallyApprovesFollowers", "governance")
COOP_PARAMETERS = ("sustains", "payoutConstraints", "governance")


@dataclass(frozen=True)
class Settings:
    """How a pool decides: who votes, over which window, and what a result must reach.
    (A cooperative's members always vote: for it only quorum and majority matter.)"""

    electorate: str = CONTRIBUTORS
    active_days: int = DEFAULT_ACTIVE_DAYS
    quorum: Fraction = DEFAULT_QUORUM
    majority: Fraction = DEFAULT_MAJORITY

    def as_dict(self) -> dict:
        """The settings in full, as documents state them (fractions as ``"p/q"`` text)."""
        return {"electorate": self.electorate, "activeDays": self.active_days,
                "quorum": str(self.quorum), "majority": str(self.majority)}


def read_settings(value: object) -> Settings:
    """Settings from a ``governance`` object; BadInput naming the first field that is wrong."""
    if value is None:
        return Settings()
    if type(value) is not dict:
        raise BadInput("governance must be an object with electorate, activeDays, quorum and majority")
    unknown = sorted(set(value) - {"electorate", "activeDays", "quorum", "majority"})
    if unknown:
        raise BadInput(f"governance has unknown fields: {', '.join(unknown)}")
    electorate = value.get("electorate", CONTRIBUTORS)
    if electorate not in (*ELECTORATES, MEMBERS):
        raise BadInput(f"governance electorate must be one of {', '.join(ELECTORATES)} "
                       f"(or {MEMBERS}, a cooperative's), got {electorate!r}")
    days = value.get("activeDays", DEFAULT_ACTIVE_DAYS)
    if type(days) is not int or not 1 <= days <= MAX_ACTIVE_DAYS:
        raise BadInput(f"governance activeDays must be a whole number of days from 1 to {MAX_ACTIVE_DAYS}")
    quorum = fraction("quorum", value.get("quorum", str(DEFAULT_QUORUM)), low=Fraction(0), high=Fraction(1))
    majority = fraction("majority", value.get("majority", str(DEFAULT_MAJORITY)),
                        low=Fraction(1, 2), high=Fraction(1))
    if majority == 1:
        raise BadInput("governance majority must be below 1 (1/2 is a simple majority)")
    return Settings(electorate, days, quorum, majority)


def fraction(name: str, text: object, *, low: Fraction, high: Fraction) -> Fraction:
    """A fraction from ``"1/10"`` or ``"0.1"`` text, between ``low`` and ``high``."""
    if type(text) is not str or len(text) > 32:
        raise BadInput(f"governance {name} must be a fraction written as text, such as \"1/10\" or \"0.1\"")
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise BadInput(f"governance {name} {text!r} is not a fraction such as \"1/10\" or \"0.1\"") from None
    if value < low or value > high:
        raise BadInput(f"governance {name} must be between {low} and {high}, got {text}")
    return value


def check_change(change: object, parameters: tuple[str, ...]) -> dict:
    """A proposal option's ``change``: a non-empty object of governed parameters, copied."""
    if type(change) is not dict or not change:
        raise BadInput(f"a change must be an object naming some of: {', '.join(parameters)}")
    unknown = sorted(set(change) - set(parameters))
    if unknown:
        raise BadInput(f"{', '.join(unknown)} cannot be changed by a proposal; "
                       f"governed parameters are {', '.join(parameters)}")
    if "governance" in change:
        read_settings(change["governance"])
    return dict(change)
