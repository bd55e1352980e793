"""`fedcommons settings`: show or change the node's settings."""

import click

from ..config import check_networks, load_config, save_config, with_setting
from ..errors import BadInput
from . import main
from .common import FORMAT, echo_json


@main.command()
@click.option("--authorized-fetch/--no-authorized-fetch", default=None,
              help="Require signed GETs for ActivityPub documents (as Mastodon's secure mode).")
@click.option("--allow-private-addresses/--no-allow-private-addresses", default=None,
              help="Allow requests to loopback and private-network peers.")
@click.option("--trusted-proxies", metavar="LIST", default=None,
              help="Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For "
                   "names the client (for per-address limits and logs); an empty string trusts none.")
@click.option("--metrics-token", metavar="TOKEN", default=None,
              help="Serve /metrics on the public port to requests bearing this token "
                   "(Authorization: Bearer TOKEN); an empty string stops serving it there.")
@FORMAT
@click.pass_context
def settings(ctx, authorized_fetch: bool | None, allow_private_addresses: bool | None, trusted_proxies: str | None,
             metrics_token: str | None, fmt: str) -> None:
    """Show the node's settings, or change them (a running server picks changes up on restart).

    Every setting can also be given as an environment variable, FEDCOMMONS_ and its name in
    upper case (FEDCOMMONS_TRUSTED_PROXIES=10.0.0.2); the environment wins over the file.
    """
    changes = {k: v for k, v in {"authorized_fetch": authorized_fetch,
                                 "allow_private_addresses": allow_private_addresses}.items() if v is not None}
    if trusted_proxies is not None:
        changes["trusted_proxies"] = check_networks([p for p in trusted_proxies.split(",") if p.strip()])
    if metrics_token is not None:
        if metrics_token and len(metrics_token) < 16:
            raise BadInput("a metrics token needs at least 16 characters (try: openssl rand -hex 16)")
        changes["metrics_token"] = metrics_token or None
    if changes:
        # What the file says, without the environment's values, so none of them is written into it.
        save_config(with_setting(load_config(ctx.obj, environ={}), **changes))
    config = load_config(ctx.obj)
    values = {"url": config.url, "origin": config.origin, "authorized_fetch": config.authorized_fetch,
              "allow_private_addresses": config.allow_private_addresses, "kinds": list(config.kinds),
              "trusted_proxies": list(config.trusted_proxies),
              "metrics_token": "set" if config.metrics_token else "not set", "home": str(config.home)}
    if fmt == "json":
        echo_json(values)
        return
    for key, value in values.items():
        click.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    if changes:
        click.echo("restart `fedcommons serve` for the change to take effect", err=True)
