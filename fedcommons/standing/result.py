"""Standing results: ranked rows with scores and shares as fixed-point decimal strings.

Floats never leave this package: a score is rounded once (half to even) to
:data:`~fedcommons.standing.numeric.SCORE_DECIMALS` decimals, and shares are
:data:`~fedcommons.standing.numeric.SHARE_DECIMALS`-decimal fractions of the rounded
scores that sum to exactly 1. Only contributors whose rounded score is positive are
listed; a pool where nobody has one has no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .clock import EPOCH, ONE_MICROSECOND, format_micros
from .numeric import SCORE_DECIMALS, SHARE_DECIMALS, format_units, score_units, share_units


@dataclass(frozen=True)
class StandingRow:
    """One contributor's standing: decimal strings, e.g. score '12.500000', share '0.250000000'."""

    contributor: str
    score: str
    share: str

    def as_dict(self) -> dict[str, str]:
        """The row as it appears in a Standing document."""
        return {"contributor": self.contributor, "score": self.score, "share": self.share}


@dataclass(frozen=True)
class StandingResult:
    """The outcome of one method run: rows by score (desc), then contributor URL."""

    method: str
    parameters: dict
    as_of_micros: int
    rows: tuple[StandingRow, ...]
    iterations: int | None = None  # power iterations, for iterative methods

    @property
    def as_of(self) -> datetime:
        """The cut-off time as an aware UTC datetime."""
        return EPOCH + self.as_of_micros * ONE_MICROSECOND

    @property
    def as_of_text(self) -> str:
        """The cut-off time as ISO 8601 with ``Z``."""
        return format_micros(self.as_of_micros)

    def standings(self) -> list[dict[str, str]]:
        """The rows as plain dicts, in order."""
        return [row.as_dict() for row in self.rows]


def rank(scores: dict[str, float]) -> tuple[StandingRow, ...]:
    """Round ``scores``, drop zeros, sort, and attach largest-remainder shares."""
    units = {who: score_units(score) for who, score in scores.items()}
    ranked = sorted((who for who, u in units.items() if u > 0), key=lambda who: (-units[who], who))
    if not ranked:
        return ()
    shares = share_units([units[who] for who in ranked], ranked)
    return tuple(
        StandingRow(who, format_units(units[who], SCORE_DECIMALS), format_units(share, SHARE_DECIMALS))
        for who, share in zip(ranked, shares)
    )
