"""`fedcommons pool show`: a pool, here or on another node, as the log held here shows it."""

import json
from urllib.parse import urlsplit

import click

from ..effort import format_effort
from ..services.actors import remote
from ..services.actors.actors import require
from ..services.standing import standing as standing_service
from ..services.standing.pool_view import RECENT, PoolView, pool_view
from ..store import mirrors as mirror_store
from .actors import pool
from .common import FORMAT, echo_json, node_from
from .network import with_client


@pool.command("show")
@click.argument("reference", metavar="POOL")
@click.option("--limit", type=click.IntRange(min=0), default=10, show_default=True,
              help=f"Show this many of the newest contributions (at most {RECENT}).")
@FORMAT
@click.pass_context
def pool_show(ctx, reference: str, limit: int, fmt: str) -> None:
    """Show POOL (a local slug, or a remote pool's @name@host or URL): stewards, standing method,
    recent contributions with their status, and standing.

    A pool on another node is read from this node's mirror of its node's log (`fedcommons
    sync URL`, or follow the pool and let the server keep it), and only from entries a signed
    checkpoint covers. Everything is recomputed here; the standing shown is unsigned.
    """
    node = node_from(ctx)
    view = pool_view(node, _pool_url(node, reference), recent=min(limit, RECENT))
    if fmt == "json":
        echo_json(_as_json(view))
        return
    click.echo(view.pool)
    if view.remote:
        row = view.mirror
        click.echo(f"  from this node's mirror of the log {view.log}, synced from {row.url}: "
                   f"{view.size} entries verified, last synced {row.last_sync or 'never'}")
        if row.last_error:
            click.echo(f"  the last sync failed: {row.last_error}")
    else:
        click.echo(f"  from this node's own log: {view.size} entries")
    click.echo(f"  stewards: {', '.join(view.stewards) or 'none'}")
    params = json.dumps(view.parameters, sort_keys=True, ensure_ascii=False)
    click.echo(f"  standing method: {view.method} {params}")
    click.echo(f"  contributions: {view.total}" + (", newest first:" if view.recent else ""))
    for c in view.recent:
        click.echo(f"    {c.published[:19]}  {c.status:<9}  {format_effort(round(c.minutes)):>10}  {c.kind:<10} "
                   f"{c.contributor}  {c.summary}")
    if view.standing is None:
        click.echo(f"  standing cannot be computed: {view.standing_problem}")
        return
    doc = view.standing.document
    click.echo(f"  standing ({doc['method']} as of {doc['asOf']}), recomputed here from the first "
               f"{doc['checkpoint']['treeSize']} entries of the log {view.log}; unsigned: "
               + ("only the pool's own node signs its standing" if view.remote
                  else "`fedcommons standing SLUG --format json` gives the signed document"))
    rows = view.standing.result.rows
    if not rows:
        click.echo("    nobody has standing yet: it comes from validated contributions")
    for rank, row in enumerate(rows, start=1):
        click.echo(f"    {rank:>4}  {row.contributor}  {row.score}  {standing_service.percent(row.share)}")


def _as_json(view: PoolView) -> dict:
    mirror = view.mirror
    return {
        "pool": view.pool, "log": view.log, "size": view.size,
        "mirror": None if mirror is None else {
            "url": mirror.url, "size": mirror.size, "staged": mirror.staged_size,
            "lastSync": mirror.last_sync, "lastError": mirror.last_error,
        },
        "stewards": list(view.stewards), "method": view.method, "parameters": view.parameters,
        "contributions": view.total,
        "recent": [{"id": c.id, "contributor": c.contributor, "kind": c.kind, "minutes": c.minutes,
                    "published": c.published, "status": c.status, "summary": c.summary, "entry": c.entry}
                   for c in view.recent],
        "standing": None if view.standing is None else view.standing.document,
        "standingSigned": False,
        "standingProblem": view.standing_problem,
    }


def _pool_url(node, reference: str) -> str:
    """A pool's URL from a local slug, a URL, or a handle; a handle of a pool whose node is
    mirrored here is read without asking the network."""
    if not remote.is_remote_reference(reference):
        return require(node, reference, "pool").id
    if "://" in reference:
        return reference.rstrip("/")
    name, _, host = reference.lstrip("@").removeprefix("acct:").partition("@")
    for row in mirror_store.mirrors(node.db):
        if host and urlsplit(row.url).netloc == host:
            return f"{row.url}/pools/{name}"
    return with_client(node, lambda client: remote.resolve_pool(node, client, reference)).id
