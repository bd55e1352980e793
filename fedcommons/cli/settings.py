"""`fedcommons settings`: show or change the node's settings."""

import click

from ..config import check_networks, load_config, save_config, with_setting
from ..errors import BadInput
from ..services.upkeep.prune import DEFAULT_DAYS, check_days
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
@click.option("--prune-after-days", type=int, default=None, metavar="DAYS",
              help="Forget processed inbox items and delivered deliveries after DAYS days "
                   "(the server every hour, and `fedcommons prune`). Default 30.")
@FORMAT
@click.pass_context
def settings(ctx, authorized_fetch: bool | None, allow_private_addresses: bool | None, trusted_proxies: str | None,
             metrics_token: str | None, prune_after_days: int | None, fmt: str) -> None:
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
    extra = {}
    if prune_after_days is not None:
        extra["prune_after_days"] = check_days(prune_after_days)
    if changes or extra:
        file_config = load_config(ctx.obj, environ={})
        if extra:
            changes["extra"] = {**file_config.extra, **extra}
        # What the file says, without the environment's values, so none of them is written into it.
        save_config(with_setting(file_config, **changes))
    config = load_config(ctx.obj)
    values = {"url": config.url, "origin": config.origin, "authorized_fetch": config.authorized_fetch,
              "allow_private_addresses": config.allow_private_addresses, "kinds": list(config.kinds),
              "trusted_proxies": list(config.trusted_proxies),
              "metrics_token": "set" if config.metrics_token else "not set",
              "prune_after_days": config.extra.get("prune_after_days", DEFAULT_DAYS), "home": str(config.home)}
    if fmt == "json":
        echo_json(values)
        return
    for key, value in values.items():
        click.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    if changes or extra:
        click.echo("restart `fedcommons serve` for the change to take effect", err=True)
