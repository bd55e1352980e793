"""Wrong passwords, counted per account name, for every form that takes one (signing in
to the pages, approving an OAuth client): after MAX_FAILURES within FAILURE_WINDOW the
account is refused for a while, so guessing a password over the web is slow.

The count is kept in memory, per node: a restart forgets it, which costs a guesser a
restart of the server they cannot cause.
"""

import time

MAX_FAILURES = 10
FAILURE_WINDOW = 15 * 60
REFUSAL = "Too many wrong passwords for this account; wait a quarter of an hour."

_failures: dict[tuple[str, str], list[float]] = {}


def too_many(node, login: str) -> bool:
    """Whether `login` had MAX_FAILURES wrong passwords within the window."""
    recent = [t for t in _failures.get(_key(node, login), []) if t > time.time() - FAILURE_WINDOW]
    return len(recent) >= MAX_FAILURES


def record(node, login: str) -> None:
    """Count a wrong password for an account name; the map is pruned so it stays small."""
    key = _key(node, login)
    cutoff = time.time() - FAILURE_WINDOW
    _failures[key] = [t for t in _failures.get(key, []) if t > cutoff] + [time.time()]
    if len(_failures) > 10_000:
        for stale in [k for k, times in _failures.items() if not times or times[-1] < cutoff]:
            del _failures[stale]


def _key(node, login: str) -> tuple[str, str]:
    return node.url, login.lower()[:200]
