"""`fedcommons standing`: a pool's standing, and checking a published Standing document."""

import csv
import json
import sys
from pathlib import Path

import click

from ..errors import BadInput
from ..services.actors import remote
from ..services.log import pool_index
from ..services.standing import pool_state
from ..services.standing import standing as service
from ..standing import METHODS
from . import main
from .common import echo_check, echo_json, node_from, progressbar


class _ShowByDefault(click.Group):
    """`fedcommons standing POOL ...` means `fedcommons standing show POOL ...`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["show", *args]
        return super().parse_args(ctx, args)


@main.group(cls=_ShowByDefault)
def standing() -> None:
    """Contributor standing in a pool: compute it (the default), or verify a Standing.

    \b
      fedcommons standing garden                 ranked table
      fedcommons standing garden --format json   the signed Standing document
      fedcommons standing verify URL_OR_FILE     recompute one and compare

    (`fedcommons standing show POOL` is the long form, for a pool named "verify".)
    """


@standing.command("show")
@click.argument("pool")
@click.option("--method", type=click.Choice(sorted(METHODS)),
              help="Compute with this method instead of the pool's own (defaults for its parameters).")
@click.option("--as-of", "as_of", metavar="DATE",
              help="YYYY-MM-DD (the end of that day, UTC) or an ISO 8601 time. Default: now.")
@click.option("--tree-size", type=click.IntRange(min=1), help="Read the log up to this size (default: all of it).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table: rank, contributor, score, share; json: the Standing document; "
                                      "csv: contributor,score,share.")
@click.pass_context
def show(ctx, pool: str, method: str | None, as_of: str | None, tree_size: int | None, fmt: str) -> None:
    """The standing of POOL (a local slug, or a remote pool's @name@host or URL).

    A local pool's standing reads only that pool's entries, through the per-pool index; a
    database made before that index is indexed first, once (with a progress bar).
    """
    node = node_from(ctx)
    url = _pool_url(node, pool)
    index_log(node)
    result = service.pool_standing(node, url, method=method, as_of=service.parse_as_of(as_of),
                                   tree_size=tree_size)
    doc = result.document
    if fmt == "json":
        if sys.stdout.isatty():
            echo_json(doc)
        else:
            click.echo(result.body.decode("utf-8"))  # the exact bytes the node serves for it
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["contributor", "score", "share"])
        writer.writerows([row.contributor, row.score, row.share] for row in result.result.rows)
    else:
        checkpoint = doc["checkpoint"]
        click.echo(f"{doc['pool']}: {doc['method']} as of {doc['asOf']}, "
                   f"log {checkpoint['origin']} at {checkpoint['treeSize']} entries")
        if not result.result.rows:
            click.echo("nobody has standing yet: it comes from validated contributions")
            return
        width = max(len(row.contributor) for row in result.result.rows)
        click.echo(f"{'rank':>4}  {'contributor':<{width}}  {'score':>14}  {'share':>8}")
        for rank, row in enumerate(result.result.rows, start=1):
            click.echo(f"{rank:>4}  {row.contributor:<{width}}  {row.score:>14}  {service.percent(row.share):>8}")


@standing.command("verify")
@click.argument("reference")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.pass_context
def verify(ctx, reference: str, fmt: str) -> None:
    """Check a Standing document (a URL, a file, or - for standard input).

    Verifies its proof with the issuing node's key, checks that the log held here (this
    node's own, or a mirror replicated from the issuer) has the root the document names at
    its treeSize, recomputes every figure from those entries, and compares. Exit 0 when
    everything matches; exit 1 naming the first difference otherwise.
    """
    node = node_from(ctx)

    async def fetch_and_verify(client) -> service.Check:
        if reference.startswith(("http://", "https://")):
            document = await service.fetch_standing(node, client, reference)
        else:
            document = _read_document(reference)
        return await service.verify_standing(node, client, document)

    # The HTTP client's modules take a third of a second to load: only commands that may
    # reach another server load them (see _pool_url).
    from .network import with_client

    check = with_client(node, fetch_and_verify)
    echo_check(check, fmt, counted="rows",
               ok=f"ok: all {check.rows} rows match a recomputation from the first {check.tree_size} "
                  f"entries of the log of {check.origin}")


def read_params(pairs: tuple[str, ...], params_json: str | None) -> dict | None:
    """Method parameters from ``--params-json`` and ``--param key=value`` (which wins).

    A value is read as JSON when it is JSON (``365``, ``null``, ``{"care": 2}``), else as
    text (``2024-01-01``); ``kindWeights.care=2`` sets one key of an object parameter.
    None when neither option is given (the method's defaults).
    """
    if not pairs and params_json is None:
        return None
    params: dict = {}
    if params_json is not None:
        try:
            params = json.loads(params_json)
        except json.JSONDecodeError as exc:
            raise BadInput(f"--params-json is not JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(params, dict):
            raise BadInput("--params-json must be a JSON object such as {\"halfLifeDays\": 365}")
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise BadInput(f"--param {pair!r} is not KEY=VALUE (for example halfLifeDays=365)")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        outer, dot, inner = key.partition(".")
        if dot:
            nested = params.get(outer)
            params[outer] = {**(nested if isinstance(nested, dict) else {}), inner: value}
        else:
            params[key] = value
    return params


def index_log(node) -> None:
    """Index a log older than the per-pool index first (once), showing progress: standings
    then read only their pool's entries."""
    behind = pool_index.behind(node)
    if behind:
        with progressbar(behind, "indexing the log by pool") as bar:
            pool_state.index_log(node, bar.update)


def _pool_url(node, reference: str) -> str:
    """The URL of a pool named by local slug, local URL, or remote handle or URL."""
    local = remote.local_pool(node, reference)
    if local is not None:
        return local.id
    # Only a remote pool needs the HTTP client, whose modules take a third of a second to load.
    from .network import with_client

    return with_client(node, lambda client: remote.resolve_pool(node, client, reference)).id


def _read_document(reference: str) -> dict:
    try:
        text = sys.stdin.read() if reference == "-" else Path(reference).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read {reference}: {exc.strerror} (give a Standing's URL, a file, or -)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{reference} is not JSON: {exc.msg} at line {exc.lineno}") from None
