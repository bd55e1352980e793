"""What a node may forget after a while, and only that.

Forgotten: inbox items after processing (the activities' effects are in the log and the
tables; the Date window of HTTP signatures already refuses a replay of an old request),
deliveries that were delivered, expired sign-in sessions, and expired OAuth codes and
tokens. Kept: the log, everything derived from it, failed deliveries (to be looked at and
retried), and the activities this node sent (they are served at their ids).
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from ...errors import BadInput
from ...node import Node, utc_stamp
from ...store import deliveries as delivery_store
from ...store import inbox as inbox_store
from ...store import oauth as oauth_store
from ...store import sessions as session_store
from ...store.db import transaction, trial

DEFAULT_DAYS = 30
MAX_DAYS = 36500


@dataclass(frozen=True)
class Pruned:
    """How many rows of each kind were (or, in a dry run, would be) forgotten."""

    inbox_items: int
    deliveries: int
    sessions: int
    oauth_codes_and_tokens: int

    def as_dict(self) -> dict:
        return asdict(self)


def prune_age(node: Node) -> int:
    """Days after which `prune` and the server's housekeeping forget: the `prune_after_days`
    setting, 30 by default."""
    days = node.config.extra.get("prune_after_days", DEFAULT_DAYS)
    return check_days(days)


def check_days(days) -> int:
    """A whole number of days from 1 to 36500; BadInput otherwise."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise BadInput(f"the age to prune after must be a whole number of days from 1 to {MAX_DAYS}, not {days!r}")
    return days


def prune(node: Node, older_than_days: int, *, dry_run: bool = False, at: datetime | None = None) -> Pruned:
    """Forget what is older than `older_than_days` (expired sessions and codes at once);
    with `dry_run`, count it and change nothing. One transaction."""
    moment = at or datetime.now(timezone.utc)
    before = utc_stamp((moment - timedelta(days=check_days(older_than_days))).timestamp())
    with (trial if dry_run else transaction)(node.db):
        return Pruned(
            inbox_items=inbox_store.delete_finished(node.db, before),
            deliveries=delivery_store.delete_delivered(node.db, before),
            sessions=session_store.delete_expired(node.db, utc_stamp(moment.timestamp())),
            oauth_codes_and_tokens=oauth_store.purge_expired(node.db, moment.timestamp()),
        )
