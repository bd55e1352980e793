"""`fedcommons lookup` and `fedcommons follow`: reaching other servers."""

import click

from ..services.actors import remote
from . import main
from .common import FORMAT, echo_json, node_from
from .network import with_client


@main.command()
@click.argument("handle_or_url")
@FORMAT
@click.pass_context
def lookup(ctx, handle_or_url: str, fmt: str) -> None:
    """Find an actor by @name@host (WebFinger) or URL and show it."""
    node = node_from(ctx)
    row, doc = with_client(node, lambda client: remote.lookup(node, client, handle_or_url))
    if fmt == "json":
        echo_json(doc or {"id": row.id})
        return
    click.echo(f"{row.id}  ({row.kind})")
    if row.display_name:
        click.echo(f"  name:   {row.display_name}")
    click.echo(f"  inbox:  {row.inbox}")
    if row.shared_inbox:
        click.echo(f"  shared: {row.shared_inbox}")


@main.command()
@click.argument("handle_or_url")
@click.option("--as", "person", required=True, help="The local person who follows.")
@click.pass_context
def follow(ctx, handle_or_url: str, person: str) -> None:
    """Follow a remote pool or person; the running server delivers the Follow."""
    node = node_from(ctx)
    activity = with_client(node, lambda client: remote.follow(node, client, handle_or_url, person))
    click.echo(f"follow sent: {activity['id']} (pending until {activity['object']} accepts)")
