"""`fedcommons init`: create a node home."""

import click

from ..node import init_node
from . import main


@main.command()
@click.option("--url", required=True, help="The node's public base URL, e.g. https://commons.example.")
@click.option(
    "--allow-private-addresses", is_flag=True,
    help="Allow requests to loopback and private-network peers (local tests and demos).",
)
@click.pass_context
def init(ctx: click.Context, url: str, allow_private_addresses: bool) -> None:
    """Create a node home: database, node keys, settings and the log's first entry."""
    node = init_node(ctx.obj, url, allow_private_addresses=allow_private_addresses)
    click.echo(f"node {node.url} created in {node.config.home}")
    click.echo(f"log origin: {node.config.origin}")
