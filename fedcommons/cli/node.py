"""`fedcommons init` and `fedcommons serve`: create a node home, and serve it."""

import click
from aiohttp import web

from ..config import load_config, normalise_url
from ..errors import BadInput, HomeError
from ..home import init_node
from .common import node_from
from .serving import (HEADER_TIMEOUT, configure_logging, listening_socket, quiet_rejected_requests, runner_options,
                      supervise)
from . import main


@main.command()
@click.option("--url", required=True, help="The node's public base URL, e.g. https://commons.example.")
@click.option(
    "--allow-private-addresses", is_flag=True,
    help="Allow requests to loopback and private-network peers (local tests and demos).",
)
@click.option("--exist-ok", is_flag=True,
              help="Succeed without changing anything if the home is already a node with this URL.")
@click.option("--database", metavar="URL", default=None,
              help="Keep the node's data in PostgreSQL (15 or newer) at this URL, such as "
                   "postgresql://fedcommons@localhost/commons; the database is created if the server "
                   "has none by that name, and must hold no node yet. Without it, a SQLite file in the home.")
@click.pass_context
def init(ctx: click.Context, url: str, allow_private_addresses: bool, exist_ok: bool, database: str | None) -> None:
    """Create a node home: database, node keys, settings and the log's first entry.

    The home must be a new or empty directory. All or nothing: a failed init leaves no
    half-made home behind (a PostgreSQL database it created stays, empty of any node).
    Keys and settings stay in the home, whichever database holds the data.
    """
    if exist_ok and (ctx.obj / "config.json").exists():
        existing = load_config(ctx.obj)
        if existing.url != normalise_url(url):
            raise HomeError(f"{ctx.obj} is a node for {existing.url}, not {normalise_url(url)}")
        click.echo(f"node {existing.url} already in {existing.home}")
        return
    node = init_node(ctx.obj, url, allow_private_addresses=allow_private_addresses, database=database)
    click.echo(f"node {node.url} created in {node.config.home}")
    click.echo(f"log origin: {node.config.origin}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="How much to log.")
@click.option("--log-format", default="text", show_default=True, type=click.Choice(["text", "json"]),
              help="Log lines as text, or as one JSON object per line (for a log collector); "
                   "each line about a request carries its request id.")
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=None,
              help="Also serve /metrics (Prometheus) on 127.0.0.1 at this port, for a scraper on the "
                   "same machine. On the public port, /metrics answers only with the metrics token "
                   "(`fedcommons settings --metrics-token`).")
@click.option("--header-timeout", default=HEADER_TIMEOUT, show_default=True, metavar="SECONDS",
              type=click.FloatRange(min=1),
              help="Close a connection that has not sent a whole request head this long after "
                   "opening or after its last response (slow clients, idle keep-alive).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Serve with N processes accepting on the one port, for a node on PostgreSQL: "
                   "they share the inbox, the delivery queue and the sync work (each item is "
                   "claimed by one of them) and wake each other when work arrives. The parent stops "
                   "them on SIGTERM or SIGINT and restarts one that dies. Several `serve` processes "
                   "on other machines may share the same database too. A node on SQLite is served "
                   "by one process. With --metrics-port, worker 1 serves /metrics with its own figures.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, log_level: str, log_format: str, metrics_port: int | None,
          header_timeout: float, workers: int) -> None:
    """Serve the node: ActivityPub, WebFinger, NodeInfo, the log, and its pages.

    Ids and links come from the node's configured URL, so the node can sit behind a
    TLS-terminating reverse proxy that forwards to HOST:PORT.
    """
    # Only `serve` needs the application; importing its routes and pages would add
    # about 0.13 s to every other command.
    from ..app import make_app

    configure_logging(log_level, log_format)
    quiet_rejected_requests()
    node = node_from(ctx)
    if node.hold is not None:
        raise HomeError(node.hold)
    if metrics_port is not None and metrics_port == port:
        raise BadInput("--metrics-port must differ from --port")
    if workers > 1 and not node.db.on_postgresql:
        raise BadInput(f"--workers {workers}: a node on SQLite is served by one process, which the database's "
                       "single writer is made for. To serve with several processes, move the node to "
                       "PostgreSQL (`fedcommons db migrate --to postgresql://...`), or leave out --workers.")
    if workers == 1:
        click.echo(f"serving {node.url} on http://{host}:{port} (Ctrl-C to stop)", err=True)
        web.run_app(make_app(node, metrics_port=metrics_port), host=host, port=port, print=None,
                    **runner_options(header_timeout))
        return
    node.close()  # each worker opens its own connections; none may be shared across a fork
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    def serve_one(n: int) -> None:
        app = make_app(node_from(ctx), metrics_port=metrics_port if n == 1 else None)
        web.run_app(app, sock=sock, print=None, **runner_options(header_timeout))

    click.echo(f"serving {node.url} on http://{host}:{sock.getsockname()[1]} with {workers} worker processes "
               "(Ctrl-C to stop)", err=True)
    try:
        status = supervise(workers, serve_one)
    finally:
        sock.close()
    if status:
        raise click.exceptions.Exit(status)
