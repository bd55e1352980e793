"""`fedcommons deliveries`: look at the outgoing delivery queue and retry what failed."""

import time
from datetime import datetime, timezone

import click

from ..federation.delivery import MAX_ATTEMPTS
from ..store import deliveries as delivery_store
from ..store.db import transaction
from ..store.deliveries import DeliveryRow
from . import main
from .common import FORMAT, echo_json, node_from


@main.command("deliveries")
@click.option("--state", type=click.Choice(["pending", "delivered", "failed", "all"]), default="all",
              show_default=True, help="Only deliveries in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="Show at most N deliveries.")
@click.option("--retry-failed", is_flag=True,
              help="Instead of listing, make every failed delivery pending and due now, "
                   "with a fresh retry schedule; a running server sends them within a second.")
@FORMAT
@click.pass_context
def deliveries(ctx: click.Context, state: str, limit: int, retry_failed: bool, fmt: str) -> None:
    """List the delivery queue, newest first: one row per activity and inbox.

    Each row shows the activity, the inbox it goes to, its state (pending, delivered or
    failed), the attempts made, when the next attempt is due, and the last HTTP status
    or error. A row whose recipient's inbox is not known yet (its actor could not be
    fetched) shows the recipient instead; fetching it is retried like a delivery.

    Pending rows are retried with growing waits for about three days, then marked
    failed. 4xx answers other than 401, 408 and 429 fail at once.
    """
    node = node_from(ctx)
    if retry_failed:
        with transaction(node.db):
            count = delivery_store.retry_failed(node.db, time.time())
        if fmt == "json":
            echo_json({"retried": count})
        elif count == 0:
            click.echo("no failed deliveries")
        else:
            noun = "delivery is" if count == 1 else "deliveries are"
            click.echo(f"{count} failed {noun} pending again")
        return
    rows = delivery_store.listing(node.db, None if state == "all" else state, limit)
    if fmt == "json":
        echo_json([_as_json(row) for row in rows])
        return
    if not rows:
        click.echo("no deliveries" if state == "all" else f"no {state} deliveries")
    for row in rows:
        click.echo(_as_text(row))
    counts = delivery_store.counts(node.db)
    click.echo("queue: " + ", ".join(f"{n} {name}" for name, n in counts.items()))


def _as_json(row: DeliveryRow) -> dict:
    return {
        "id": row.id,
        "activity_id": row.activity_id,
        "sender": row.sender,
        "inbox": row.inbox,
        "recipient": row.recipient,
        "host": row.host,
        "state": row.state,
        "attempts": row.attempts,
        "next_attempt_at": _when(row.next_attempt_at) if row.state == "pending" else None,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "delivered_at": row.delivered_at,
    }


def _as_text(row: DeliveryRow) -> str:
    head = f"{row.id:>6}  {row.state:<9}  {row.attempts:>2}/{MAX_ATTEMPTS} attempts"
    if row.state == "pending":
        head += f"  next {_when(row.next_attempt_at)}"
    elif row.delivered_at:
        head += f"  at {row.delivered_at}"
    last = row.last_error or (f"HTTP {row.last_status}" if row.last_status is not None else "")
    if last:
        head += f"  {last}"
    target = row.inbox or f"(inbox not known yet) {row.recipient}"
    return f"{head}\n        {row.activity_id}\n        -> {target}"


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
