"""Helpers shared by the CLI commands."""

import json
import sys

import click

from ..home import open_node
from ..node import Node
from ..store.db import StoreUnavailable

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Output format.",
)


def node_from(ctx: click.Context) -> Node:
    """The node whose home the command runs in."""
    return open_node(ctx.obj)


def environment_failure(exc: StoreUnavailable | OSError) -> str:
    """One line for a failure of the machine rather than of the input: what failed, and
    where, without a traceback (nothing the user typed would change it)."""
    if isinstance(exc, StoreUnavailable):
        line = str(exc)
        if getattr(exc, "busy", False):  # PostgreSQL's lock timeout, in SQLite's words
            line = "database is locked"
        if "locked" in line:
            line += ": another process is writing to it; try again"
    else:
        line = exc.strerror or str(exc) or type(exc).__name__
        if exc.filename:
            line += f": {exc.filename}"
    return " ".join(line.split())


def echo_json(value) -> None:
    """Print JSON for scripts: indented on a terminal, one line otherwise."""
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(value, indent=indent, ensure_ascii=False))


def echo_check(check, fmt: str, *, counted: str, ok: str) -> None:
    """The outcome of recomputing a signed document (a Standing, a Tally): JSON with the
    count under `counted`, or the line `ok`, or what failed on stderr; exit 1 when it failed."""
    if fmt == "json":
        echo_json({"ok": check.ok, "problem": check.problem, counted: check.rows,
                   "treeSize": check.tree_size, "origin": check.origin})
    elif check.ok:
        click.echo(ok)
    else:
        click.echo(f"does not verify: {check.problem}", err=True)
    if not check.ok:
        sys.exit(1)


class _Silent:
    """Stands in for a progress bar when nobody is watching."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int) -> None:
        pass


def progressbar(length: int, label: str):
    """A progress bar on a terminal; silent when stderr is not one (scripts, CI)."""
    if not sys.stderr.isatty():
        return _Silent()
    return click.progressbar(length=length, label=label, file=sys.stderr,
                             show_pos=True, show_eta=True)


class LazyProgress:
    """A progress bar that appears once the amount of work is known (the first report of
    (done, total)); silent, like `progressbar`, when stderr is not a terminal."""

    def __init__(self, label: str):
        self.label, self.bar, self.done = label, None, 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = progressbar(total, self.label)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        """Finish the bar, if one was shown."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
