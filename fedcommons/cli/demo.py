"""`fedcommons demo`: a node on loopback with sample people and work, served at once."""

import os
import shutil

import click

from ..config import CONFIG_FILE, load_config, resolve_home
from ..errors import HomeError
from ..home import init_node, open_node
from ..services.demo.sample import populate
from .network import with_client
from .node import serve
from . import main

DEMO_HOME = "fedcommons-demo"


@main.command()
@click.option("--home", "demo_home", type=click.Path(file_okay=False),
              help=f"Where the demo node lives (default: the global --home, else ./{DEMO_HOME}).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535),
              help="Port on 127.0.0.1 to serve the demo on; it is also in the node's URL.")
@click.pass_context
def demo(ctx: click.Context, demo_home: str | None, port: int) -> None:
    """Make a demonstration node on loopback with sample pools, people, contributions,
    validations, endorsements, a cooperative and a published distribution, and serve it.

    Everything is written through the same signed paths as real use. Run again, it serves
    the demo it made before. A real node (`init`) never gets sample data.
    """
    home = _home(ctx, demo_home)
    url = f"http://127.0.0.1:{port}"
    if (home / CONFIG_FILE).exists():
        existing = load_config(home)
        if existing.url != url:
            raise HomeError(f"{home} is a node for {existing.url}; serve it with --port of that URL, "
                            "or give another --home")
        click.echo(f"serving the node in {home} again", err=True)
    else:
        made_here = not home.exists()
        init_node(home, url, allow_private_addresses=True).close()
        node = open_node(home)
        try:
            shown = with_client(node, lambda client: populate(node, client))
        except BaseException:
            node.close()
            if made_here:  # a half-made demo is no demo: the next run starts afresh
                shutil.rmtree(home, ignore_errors=True)
            raise
        node.close()
        click.echo(f"demo node made in {home}: pools {', '.join(shown['pools'])}, cooperative {shown['coop']}",
                   err=True)
        click.echo(f"sign in at {url}/login as {', '.join(shown['people'])} with the password "
                   f"{shown['password']!r}", err=True)
    ctx.obj = home
    ctx.invoke(serve, port=port)


def _home(ctx: click.Context, demo_home: str | None):
    if demo_home is not None:
        return resolve_home(demo_home)
    given = ctx.find_root().params.get("home") or os.environ.get("FEDCOMMONS_HOME")
    return resolve_home(given or DEMO_HOME)
