"""`fedcommons actor passwd`: let a local person sign in to the ActivityPub API."""

import sys

import click

from ..errors import BadInput
from ..services.accounts.accounts import set_password
from .actors import actor
from .common import node_from


@actor.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@click.pass_context
def actor_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set the password NAME signs in with from ActivityPub clients.

    Asks twice, without echoing. Changing a password signs out every client the person
    had authorized.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise BadInput("no password on standard input")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt="Repeat it")
    node = node_from(ctx)
    revoked = set_password(node, name, password)
    click.echo(f"password set for {name}" + (f"; {revoked} authorized client(s) signed out" if revoked else ""))
