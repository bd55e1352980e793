"""`fedcommons contribute`, `validate`, `endorse` and `import contributions`."""

from pathlib import Path

import click

from ..services.actors import remote
from ..services.contributions import contributions as service
from ..services.importing.importing import BATCH, plan_import, write_import
from ..store import contributions as contribution_store
from ..urls import is_local
from . import main
from .common import FORMAT, echo_json, node_from, progressbar
from .network import with_client


@main.command()
@click.option("--pool", required=True, help="The pool: a local slug, or a remote pool's @name@host or URL.")
@click.option("--as", "person", required=True, help="The contributing person's name.")
@click.option("--effort", required=True, help="Time spent: 2h30m, 90m, 1.5h.")
@click.option("--kind", required=True, help="Kind of work: code, care, docs, design, ...")
@click.option("--summary", required=True, help="What was done, in one line.")
@click.option("--evidence", multiple=True, help="A link showing the work (repeatable).")
@click.option("--date", "when", help="When the work was done (YYYY-MM-DD); default now.")
@click.pass_context
def contribute(ctx, pool, person, effort, kind, summary, evidence, when) -> None:
    """Record a contribution to a pool; prints the contribution's id."""
    node = node_from(ctx)
    target = pool
    if remote.is_remote_reference(pool):
        target = with_client(node, lambda client: remote.resolve_pool(node, client, pool))
    click.echo(service.contribute(node, pool=target, person=person, effort=effort, kind=kind,
                                  summary=summary, evidence=evidence, when=when))


@main.command()
@click.argument("contribution_id")
@click.option("--as", "steward", required=True, help="The validating steward's name.")
@click.option("--reject", is_flag=True, help="Reject instead of validating.")
@click.option("--reason", help="Why it is rejected (required with --reject).")
@click.pass_context
def validate(ctx, contribution_id, steward, reject, reason) -> None:
    """A steward validates (or rejects) a contribution."""
    node = node_from(ctx)
    activity = service.decide(node, contribution_id, steward, reject=reject, reason=reason)
    click.echo(f"{'rejected' if reject else 'validated'}: {activity['id']}")


@main.command()
@click.argument("contribution_id")
@click.option("--as", "person", required=True, help="The endorsing person's name.")
@click.option("--weight", type=float, help="How strongly, in (0, 1]; default 1.")
@click.pass_context
def endorse(ctx, contribution_id, person, weight) -> None:
    """Vouch for someone else's contribution (on this node or another)."""
    node = node_from(ctx)
    if contribution_store.contribution(node.db, contribution_id) is None and not is_local(node.url, contribution_id):
        activity = with_client(node, lambda client: remote.endorse_remote(
            node, client, contribution_id, person, weight))
    else:
        activity = service.endorse(node, contribution_id, person, weight=weight)
    click.echo(f"endorsed: {activity['id']}")


@main.group("import")
def import_() -> None:
    """Bulk imports."""


@import_.command("contributions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows and list the bad ones.")
@click.option("--batch-size", type=click.IntRange(min=1), default=BATCH, show_default=True,
              help="Rows per transaction; the server can write between batches.")
@FORMAT
@click.pass_context
def import_contributions_cmd(ctx, file: Path, skip_bad: bool, batch_size: int, fmt: str) -> None:
    """Append contributions from FILE (JSON lines, or CSV with a header).

    Fields: pool, as, effort, kind, summary, and optionally evidence (a list in JSON,
    space-separated in CSV), date and key. Every row is checked first: a bad row stops the
    import with its line number and writes nothing, unless --skip-bad is given.

    Importing the same rows again writes nothing: a row is known by its key (published
    with the contribution; never put private data in it) or, without one, by what it says.
    An interrupted import can simply be run again.
    """
    node = node_from(ctx)
    plan = plan_import(node, file, skip_bad=skip_bad)
    with progressbar(len(plan.rows), "importing") as bar:
        result = write_import(node, plan, batch=batch_size, progress=bar.update)
    if fmt == "json":
        echo_json({"written": result.written, "already_imported": result.already, "ids": result.ids,
                   "bad": [{"line": line, "error": reason} for line, reason in result.bad]})
        return
    click.echo(f"{result.written} written, {result.already} already imported")
    for line, reason in result.bad:
        click.echo(f"skipped line {line}: {reason}", err=True)
