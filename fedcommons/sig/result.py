"""The outcome of checking a signature or proof.

Verifiers return a :class:`Verification` instead of raising, so a caller can log the
reason, try a refreshed key, or answer 401 without wrapping every call in ``try``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verification:
    """Whether a signature verified, why not if it did not, and which key was involved."""

    ok: bool
    reason: str
    key_id: str | None = None

    @classmethod
    def good(cls, key_id: str | None = None) -> Verification:
        """A successful verification made with ``key_id``."""
        return cls(True, "verified", key_id)

    @classmethod
    def bad(cls, reason: str, key_id: str | None = None) -> Verification:
        """A failed verification; ``reason`` says what was wrong."""
        return cls(False, reason, key_id)

    def __bool__(self) -> bool:
        return self.ok
