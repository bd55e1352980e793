"""`fedcommons init` and `fedcommons serve`: create a node home, and serve it."""

import logging

import click
from aiohttp import web

from ..config import load_config, normalise_url
from ..errors import HomeError
from ..home import init_node
from .common import node_from
from .serving import HEADER_TIMEOUT, quiet_rejected_requests, runner_options
from . import main


@main.command()
@click.option("--url", required=True, help="The node's public base URL, e.g. https://commons.example.")
@click.option(
    "--allow-private-addresses", is_flag=True,
    help="Allow requests to loopback and private-network peers (local tests and demos).",
)
@click.option("--exist-ok", is_flag=True,
              help="Succeed without changing anything if the home is already a node with this URL.")
@click.pass_context
def init(ctx: click.Context, url: str, allow_private_addresses: bool, exist_ok: bool) -> None:
    """Create a node home: database, node keys, settings and the log's first entry.

    The home must be a new or empty directory. All or nothing: a failed init leaves no
    half-made home behind.
    """
    if exist_ok and (ctx.obj / "config.json").exists():
        existing = load_config(ctx.obj)
        if existing.url != normalise_url(url):
            raise HomeError(f"{ctx.obj} is a node for {existing.url}, not {normalise_url(url)}")
        click.echo(f"node {existing.url} already in {existing.home}")
        return
    node = init_node(ctx.obj, url, allow_private_addresses=allow_private_addresses)
    click.echo(f"node {node.url} created in {node.config.home}")
    click.echo(f"log origin: {node.config.origin}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="How much to log.")
@click.option("--header-timeout", default=HEADER_TIMEOUT, show_default=True, metavar="SECONDS",
              type=click.FloatRange(min=1),
              help="Close a connection that has not sent a whole request head this long after "
                   "opening or after its last response (slow clients, idle keep-alive).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, log_level: str, header_timeout: float) -> None:
    """Serve the node: ActivityPub, WebFinger, NodeInfo, the log, and its pages.

    Ids and links come from the node's configured URL, so the node can sit behind a
    TLS-terminating reverse proxy that forwards to HOST:PORT.
    """
    # Only `serve` needs the application; importing its routes and pages would add
    # about 0.13 s to every other command.
    from ..app import make_app

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_rejected_requests()
    node = node_from(ctx)
    click.echo(f"serving {node.url} on http://{host}:{port} (Ctrl-C to stop)", err=True)
    web.run_app(make_app(node), host=host, port=port, print=None, **runner_options(header_timeout))
