"""`fedcommons prune`, and `block` / `unblock` / `blocks`: keeping a node tidy and keeping
others out."""

import click

from ..services.moderation import blocks as block_service
from ..services.upkeep.prune import check_days, prune, prune_age
from . import main
from .common import FORMAT, echo_json, node_from


@main.command("prune")
@click.option("--older-than", "days", type=int, default=None, metavar="DAYS",
              help="Forget what is older than DAYS days (default: the node's prune_after_days setting, 30).")
@click.option("--dry-run", is_flag=True, help="Count what would be forgotten; change nothing.")
@FORMAT
@click.pass_context
def prune_command(ctx: click.Context, days: int | None, dry_run: bool, fmt: str) -> None:
    """Forget old working rows: inbox items processed more than DAYS days ago, deliveries
    delivered that long ago, expired sign-in sessions and expired OAuth codes and tokens.

    The log and everything derived from it are never touched; failed deliveries are kept
    (`fedcommons deliveries --retry-failed`), and so are the activities this node sent,
    which stay served at their ids. A running server does the same every hour.
    """
    node = node_from(ctx)
    age = check_days(days) if days is not None else prune_age(node)
    counts = prune(node, age, dry_run=dry_run).as_dict()
    if fmt == "json":
        echo_json({"olderThanDays": age, "dryRun": dry_run, **counts})
        return
    verb = "would forget" if dry_run else "forgot"
    click.echo(f"{verb} " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
               + f" (older than {age} days; expired sessions and codes whatever their age)")


@main.command("block")
@click.argument("target")
@click.option("--reason", default=None, help="Why, for whoever reads the list later.")
@click.pass_context
def block_command(ctx: click.Context, target: str, reason: str | None) -> None:
    """Block a domain (example.com, and every host under it) or one actor (its URL).

    Their activities are refused at the inbox (403), nothing is sent to them or fetched
    from them, and their contributions are hidden on this node's pages. The log is not
    changed: what they contributed stays recorded and counted.
    """
    target, new = block_service.block(node_from(ctx), target, reason)
    click.echo(f"blocked {target}" if new else f"{target} was already blocked")


@main.command("unblock")
@click.argument("target")
@click.pass_context
def unblock_command(ctx: click.Context, target: str) -> None:
    """Lift the block on a domain or an actor."""
    click.echo(f"unblocked {block_service.unblock(node_from(ctx), target)}")


@main.command("blocks")
@FORMAT
@click.pass_context
def blocks_command(ctx: click.Context, fmt: str) -> None:
    """List the blocked domains and actors."""
    rows = block_service.blocks(node_from(ctx))
    if fmt == "json":
        echo_json([{"target": r.target, "kind": r.kind, "reason": r.reason, "since": r.created_at} for r in rows])
        return
    if not rows:
        click.echo("nothing is blocked")
    for r in rows:
        click.echo(f"{r.kind:6}  {r.target}  since {r.created_at}" + (f"  ({r.reason})" if r.reason else ""))
