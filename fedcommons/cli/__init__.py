"""The `fedcommons` command: one subcommand per user task.

Commands are thin: they parse options, call a service, and print. Errors the user can fix
exit with status 2; failed checks and a failing environment (a full disk, a database
locked by another process) with 1; all print one line on stderr, never a traceback.
"""

import importlib
import sys

import click

from ..config import resolve_home
from ..errors import FedcommonsError
from ..store.db import StoreUnavailable
from .common import environment_failure


class Group(click.Group):
    """The `fedcommons` group: loads a command's modules when the command is asked for
    (:data:`COMMANDS`), and turns fedcommons errors into one-line messages and exit codes."""

    def list_commands(self, ctx):
        """Every command's name, loaded or not."""
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, name):
        """The command ``name``, its modules imported first; None for no such command."""
        for module in COMMANDS.get(name, ()):
            importlib.import_module(f"{__name__}.{module}")
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FedcommonsError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (StoreUnavailable, OSError) as exc:
            if isinstance(exc, BrokenPipeError):
                raise  # click's own handling: the reader went away
            click.echo(f"error: {environment_failure(exc)}", err=True)
            sys.exit(1)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"],
                                         # FEDCOMMONS_SERVE_PORT=8081 for `serve --port 8081`, and so on.
                                         "auto_envvar_prefix": "FEDCOMMONS"})
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="FEDCOMMONS_HOME",
    help="Node home directory (database, keys, config). Default: $FEDCOMMONS_HOME or ./fedcommons-home.",
)
@click.version_option(package_name="fedcommons")
@click.pass_context
def main(ctx: click.Context, home: str | None) -> None:
    """fedcommons: a federated contribution tracker for peer production.

    A node keeps a signed, append-only, Merkle-verified log of contributions to common
    pools, federates it over ActivityPub, and derives contributor standing that
    cooperatives use for income sharing.
    """
    ctx.obj = resolve_home(home)


# Each command and the modules that define it and its subcommands (importing a module
# registers its commands on `main`): a command loads only its own modules, so that
# `fedcommons standing` starts without the web server, the importers or the exporters.
# Listing the commands (`--help`) loads them all.
COMMANDS: dict[str, tuple[str, ...]] = {
    "actor": ("actors", "accounts"),
    "alias": ("aliases",),
    "backup": ("backup",),
    "block": ("upkeep",),
    "blocks": ("upkeep",),
    "books": ("books",),
    "contribute": ("contributions",),
    "coop": ("coops",),
    "db": ("database",),
    "delegate": ("governance",),
    "deliveries": ("deliveries",),
    "demo": ("demo",),
    "endorse": ("contributions",),
    "export": ("export",),
    "follow": ("federation",),
    "fork": ("mirrors",),
    "governance": ("governance",),
    "import": ("contributions", "sources"),
    "init": ("node",),
    "log": ("logbook",),
    "lookup": ("federation",),
    "payout": ("coops",),
    "peers": ("mirrors",),
    "pool": ("actors", "pools", "follows"),
    "proposals": ("governance",),
    "propose": ("governance",),
    "prune": ("upkeep",),
    "reconcile": ("backup",),
    "restore": ("backup",),
    "serve": ("node",),
    "settings": ("settings",),
    "standing": ("standing",),
    "sync": ("mirrors",),
    "tally": ("governance",),
    "unblock": ("upkeep",),
    "undelegate": ("governance",),
    "validate": ("contributions",),
    "vote": ("governance",),
    "witness": ("mirrors",),
}


__all__ = ["main"]
