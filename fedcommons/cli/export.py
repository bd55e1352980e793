"""`fedcommons export sqlite FILE`: the node's public data as a database for analysis."""

import click

from ..services.exports.analysis import export_sqlite
from ..store import actors as actor_store
from ..store import contributions as contribution_store
from . import main
from .common import FORMAT, echo_json, node_from, progressbar


@main.group("export")
def export_group() -> None:
    """Write what the node holds in forms other tools read."""


@export_group.command("sqlite")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@FORMAT
@click.pass_context
def export_sqlite_command(ctx: click.Context, file: str, force: bool, fmt: str) -> None:
    """Write people, pools, contributions, current standing and payouts to a new SQLite
    database, ready for Datasette (`datasette FILE`): primary and foreign keys, and
    full-text search on contribution summaries and names.

    Only what the node shows publicly goes in: no keys, passwords, sessions or private
    aliases. The node's database is only read.
    """
    node = node_from(ctx)
    # Contributions are nearly all the rows; the bar counts those and the actors.
    expected = contribution_store.count_all(node.db) + len(actor_store.every_actor(node.db))
    with progressbar(expected, "exporting rows") as bar:
        counts = export_sqlite(node, file, force=force, on_rows=bar.update)
    if fmt == "json":
        echo_json({"file": file, "tables": counts})
        return
    click.echo(f"wrote {file}: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))
