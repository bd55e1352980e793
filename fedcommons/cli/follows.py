"""`fedcommons pool followers` and `fedcommons pool approve`: pools that approve their followers."""

import click

from ..services.actors import follows
from ..services.actors.actors import require
from ..store import follows as follow_store
from .actors import pool
from .common import FORMAT, echo_json, node_from



@pool.command("followers")
@click.argument("slug")
@click.option("--pending", is_flag=True, help="Only Follows waiting for a steward's answer.")
@FORMAT
@click.pass_context
def pool_followers(ctx, slug: str, pending: bool, fmt: str) -> None:
    """List who follows pool SLUG (or who asked to)."""
    node = node_from(ctx)
    if pending:
        rows = [{"follower": f, "follow": a, "state": "pending"} for f, a in follows.pending_followers(node, slug)]
    else:
        pool_id = require(node, slug, "pool").id
        rows = [{"follower": f, "state": "accepted"} for f in follow_store.followers(node.db, pool_id)]
    if fmt == "json":
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['state']:<9} {row['follower']}")
    if not rows:
        click.echo("nobody yet", err=True)


@pool.command("approve")
@click.argument("slug")
@click.argument("follower")
@click.option("--as", "steward", required=True, help="The steward answering.")
@click.option("--reject", is_flag=True, help="Refuse the Follow instead.")
@click.pass_context
def pool_approve(ctx, slug: str, follower: str, steward: str, reject: bool) -> None:
    """A steward answers FOLLOWER's pending Follow of pool SLUG (created with --approve-followers)."""
    node = node_from(ctx)
    activity = follows.approve(node, slug, follower, steward, accept=not reject)
    click.echo(f"{activity['type'].lower()}ed: {activity['id']}")
