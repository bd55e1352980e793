"""`fedcommons settings`: show or change the node's settings."""

import click

from ..config import load_config, save_config, with_setting
from . import main
from .common import FORMAT, echo_json


@main.command()
@click.option("--authorized-fetch/--no-authorized-fetch", default=None,
              help="Require signed GETs for ActivityPub documents (as Mastodon's secure mode).")
@click.option("--allow-private-addresses/--no-allow-private-addresses", default=None,
              help="Allow requests to loopback and private-network peers.")
@FORMAT
@click.pass_context
def settings(ctx, authorized_fetch: bool | None, allow_private_addresses: bool | None, fmt: str) -> None:
    """Show the node's settings, or change them (a running server picks changes up on restart)."""
    config = load_config(ctx.obj)
    changes = {k: v for k, v in {"authorized_fetch": authorized_fetch,
                                 "allow_private_addresses": allow_private_addresses}.items() if v is not None}
    if changes:
        config = with_setting(config, **changes)
        save_config(config)
    values = {"url": config.url, "origin": config.origin, "authorized_fetch": config.authorized_fetch,
              "allow_private_addresses": config.allow_private_addresses, "kinds": list(config.kinds),
              "home": str(config.home)}
    if fmt == "json":
        echo_json(values)
        return
    for key, value in values.items():
        click.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    if changes:
        click.echo("restart `fedcommons serve` for the change to take effect", err=True)
