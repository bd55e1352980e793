"""`fedcommons db ...`: where the node keeps its data."""

import click

from ..services.storage.moving import BATCH, move_to_postgresql
from . import main
from .common import FORMAT, LazyProgress, echo_json


@main.group("db")
def db() -> None:
    """The node's database."""


@db.command("migrate")
@click.option("--to", "url", required=True, metavar="postgresql://USER@HOST/DB",
              help="The PostgreSQL database to move to: new or empty (made when the server has none by that name).")
@click.option("--batch-size", "batch", type=int, default=BATCH, show_default=True,
              help="Rows copied and committed at a time.")
@FORMAT
@click.pass_context
def db_migrate(ctx, url: str, batch: int, fmt: str) -> None:
    """Copy this node's SQLite database to PostgreSQL, verify the copy, then switch to it.

    Stop the server first: the command refuses to run while another process has the
    SQLite file open, and switches only if nothing was written to it during the copy
    (which reads one snapshot of it). An interrupted copy (killed, a lost connection) goes on from
    where it stopped when the command is run again. Before the switch, the copy's log must
    verify to the same root as the node's. Keys and settings stay in the home, and the
    SQLite file stays where it is: delete it once the node runs well on PostgreSQL.
    """
    progress = LazyProgress("copying")
    try:
        report = move_to_postgresql(ctx.obj, url, batch=batch, progress=progress)
    finally:
        progress.close()
    if fmt == "json":
        echo_json({"database": report.database, "sqlite_file": str(report.sqlite_file), "tables": report.tables,
                   "rows": report.rows, "copied": report.copied, "resumed": report.resumed,
                   "entries": report.entries, "root": report.root.hex()})
        return
    again = f", {report.rows - report.copied} of them by an earlier run" if report.resumed else ""
    click.echo(f"copied {report.rows} rows in {report.tables} tables{again}; the copy's log verifies: "
               f"{report.entries} entries, root {report.root.hex()}")
    click.echo(f"the node now keeps its data in {report.database}; restart its server. "
               f"{report.sqlite_file} was left as it was: delete it once the node runs well")
