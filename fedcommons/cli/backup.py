"""`fedcommons backup` and `fedcommons restore`: a node in one file, and back without a fork."""

from pathlib import Path

import click

from ..config import load_config, resolve_home
from ..errors import BadInput
from ..home import open_node
from ..services.backup.archive import write_backup
from ..services.backup.reconcile import describe, reconcile
from ..services.backup.restore import restore_home
from .common import FORMAT, LazyProgress, echo_json
from .network import with_client
from . import main


def read_passphrase(passphrase_file: str | None, *, confirm: bool) -> str:
    """The passphrase from the first line of a file, else asked on the terminal (twice when
    it protects a new backup)."""
    if passphrase_file is not None:
        lines = Path(passphrase_file).read_text(encoding="utf-8").splitlines()
        if not lines or not lines[0]:
            raise BadInput(f"{passphrase_file} holds no passphrase on its first line")
        return lines[0]
    value = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    if not value:
        raise BadInput("the passphrase is empty")
    return value


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--encrypt", is_flag=True,
              help="Seal the keys with a passphrase (scrypt and AES-256-GCM); asked twice unless "
                   "--passphrase-file gives it.")
@click.option("--passphrase-file", type=click.Path(dir_okay=False, exists=True),
              help="Read the passphrase from the first line of this file (implies --encrypt).")
@FORMAT
@click.pass_context
def backup(ctx: click.Context, file: str, encrypt: bool, passphrase_file: str | None, fmt: str) -> None:
    """Write a consistent copy of the node (database, keys, settings) to FILE, a new file.

    The database is copied with SQLite's online backup API from one snapshot, so it can
    run while `serve` runs and writes. Without --encrypt the file holds the private keys
    in the clear: keep it as safe as the node home. A node whose data live in PostgreSQL
    is backed up with PostgreSQL's own tools (pg_dump, or base backups with WAL archiving),
    its home (keys and settings) as files.
    """
    config = load_config(ctx.obj, environ={})
    passphrase = None
    if encrypt or passphrase_file:
        passphrase = read_passphrase(passphrase_file, confirm=True)
    progress = LazyProgress("copying the database")
    try:
        manifest = write_backup(config, Path(file).resolve(), passphrase=passphrase, progress=progress)
    finally:
        progress.close()
    summary = {"file": str(Path(file).resolve()), "node": manifest.url, "origin": manifest.origin,
               "logSize": manifest.log_size, "encrypted": manifest.sealing is not None}
    if fmt == "json":
        echo_json(summary)
    else:
        sealed = "keys sealed with a passphrase" if passphrase else "keys in the clear: keep the file private"
        click.echo(f"backed up {manifest.url} (log size {manifest.log_size}) to {summary['file']}; {sealed}")


PEER = click.option("--peer", "peers", multiple=True, metavar="URL",
                    help="Also ask this node (its base URL) for what it holds of our log; repeatable.")
ACCEPT_LOSS = click.option(
    "--accept-loss", is_flag=True,
    help="Go on when peers hold a longer log of ours that none can supply: the node appends after "
         "the restored entries, and those peers will report it as forked.")


def _reconcile(home: Path, peers: tuple[str, ...], accept_loss: bool, fmt: str) -> None:
    node = open_node(home)
    try:
        outcome = with_client(node, lambda client: reconcile(node, client, peers=list(peers),
                                                             accept_loss=accept_loss))
    finally:
        node.close()
    if fmt == "json":
        echo_json(describe(outcome))
        return
    for url, reason in outcome.unreachable.items():
        click.echo(f"could not ask {url}: {reason}", err=True)
    if outcome.recovered_from:
        click.echo(f"recovered entries {outcome.restored_size}..{outcome.size - 1} from {outcome.recovered_from}; "
                   f"the log is at size {outcome.size} again")
    elif outcome.lost:
        click.echo(f"went on without {outcome.lost} entries peers hold (--accept-loss); "
                   f"the log is at size {outcome.size}")
    else:
        asked = ", ".join(outcome.asked) or "no peer known"
        click.echo(f"no peer holds more of this log than the backup ({outcome.size} entries; asked: {asked})")
    click.echo("the node may append again")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--home", "target", type=click.Path(file_okay=False),
              help="The node home to make, a new or empty directory (default: the global --home).")
@click.option("--passphrase-file", type=click.Path(dir_okay=False, exists=True),
              help="Read the passphrase of sealed keys from the first line of this file (else it is asked).")
@PEER
@ACCEPT_LOSS
@FORMAT
@click.pass_context
def restore(ctx: click.Context, file: str, target: str | None, passphrase_file: str | None,
            peers: tuple[str, ...], accept_loss: bool, fmt: str) -> None:
    """Make a node home (--home, a new or empty directory) from the backup FILE, then
    reconcile: ask the peers that mirror or witness the log for their newest checkpoint of
    it and fetch, verify and append the entries signed after the backup was made.

    Until that succeeds the node appends nothing (`serve` and every command that would
    write to the log refuse, saying why); `fedcommons reconcile` tries again.
    """
    home = resolve_home(target) if target is not None else ctx.obj
    progress = LazyProgress("checking the database")
    try:
        manifest = restore_home(Path(file), home, lambda: read_passphrase(passphrase_file, confirm=False),
                                progress)
    finally:
        progress.close()
    click.echo(f"restored {manifest.url} (log size {manifest.log_size}, backed up {manifest.created_at}) "
               f"into {home}", err=True)
    _reconcile(home, peers, accept_loss, fmt)


@main.command("reconcile")
@PEER
@ACCEPT_LOSS
@FORMAT
@click.pass_context
def reconcile_command(ctx: click.Context, peers: tuple[str, ...], accept_loss: bool, fmt: str) -> None:
    """Catch a restored node up with what its peers hold of its log, so that it may append again."""
    _reconcile(ctx.obj, peers, accept_loss, fmt)
