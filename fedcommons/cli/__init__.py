"""The `fedcommons` command: one subcommand per user task.

Commands are thin: they parse options, call a service, and print. Errors the user can fix
exit with status 2; failed checks and a failing environment (a full disk, a database
locked by another process) with 1; all print one line on stderr, never a traceback.
"""

import sys

import click

from ..config import resolve_home
from ..errors import FedcommonsError
from ..store.db import StoreUnavailable
from .common import environment_failure


class Group(click.Group):
    """A click group that turns fedcommons errors into one-line messages and exit codes."""

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


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
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


# Importing the command modules registers their commands on `main`.
from . import (  # noqa: E402,F401
    accounts,
    aliases,
    actors,
    contributions,
    coops,
    deliveries,
    federation,
    follows,
    logbook,
    mirrors,
    node,
    settings,
    sources,
    standing,
)

__all__ = ["main"]
