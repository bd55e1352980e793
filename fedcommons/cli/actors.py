"""`fedcommons actor ...` and `fedcommons pool ...`."""

import click

from ..services.actors.actors import actor_document, create_actor, require
from ..services.actors.pools import create_pool, set_method
from . import main
from .common import FORMAT, echo_json, node_from
from .standing import read_params


@main.group()
def actor() -> None:
    """People who contribute, endorse and steward pools."""


@actor.command("add")
@click.argument("name")
@click.option("--display-name", help="A human-readable name (default: NAME).")
@click.pass_context
def actor_add(ctx: click.Context, name: str, display_name: str | None) -> None:
    """Create a local person NAME with fresh Ed25519 and RSA keys."""
    node = node_from(ctx)
    row = create_actor(node, "person", name, display_name=display_name)
    click.echo(row.id)


@actor.command("show")
@click.argument("name")
@FORMAT
@click.pass_context
def actor_show(ctx: click.Context, name: str, fmt: str) -> None:
    """Show the actor document of a local person, pool or cooperative."""
    node = node_from(ctx)
    doc = actor_document(node, require(node, name))
    if fmt == "json":
        echo_json(doc)
        return
    click.echo(f"{doc['id']}  ({', '.join(doc['type']) if isinstance(doc['type'], list) else doc['type']})")
    click.echo(f"  handle:   @{doc['preferredUsername']}@{node.config.host}")
    click.echo(f"  inbox:    {doc['inbox']}")
    click.echo(f"  RSA key:  {doc['publicKey']['id']}")
    method = doc["assertionMethod"][0]
    click.echo(f"  Ed25519:  {method['id']}  {method['publicKeyMultibase']}")
    for steward in doc.get("stewards", []):
        click.echo(f"  steward:  {steward}")


@main.group()
def pool() -> None:
    """Common pools that contributions go into."""


@pool.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The pool's display name.")
@click.option("--steward", "stewards", multiple=True, required=True,
              help="A local person who validates contributions (repeatable).")
@click.option("--license", "license_", help="SPDX license expression of the pool's output, e.g. MIT.")
@click.option("--summary", help="One line describing the pool.")
@click.option("--approve-followers", is_flag=True,
              help="A steward answers each Follow (`fedcommons pool approve`) instead of accepting at once.")
@click.pass_context
def pool_create(ctx: click.Context, slug: str, name: str, stewards: tuple[str, ...],
                license_: str | None, summary: str | None, approve_followers: bool) -> None:
    """Create a pool SLUG stewarded by local people."""
    node = node_from(ctx)
    row = create_pool(node, slug, name=name, stewards=list(stewards), license=license_, summary=summary,
                      approve_followers=approve_followers)
    click.echo(row.id)


@pool.command("set-method")
@click.argument("slug")
@click.option("--method", required=True, help="The standing method, e.g. effort/1 or peer-rank/1.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A method parameter (repeatable), e.g. halfLifeDays=365 or kindWeights.care=1.5.")
@click.option("--params-json", metavar="JSON", help='All parameters at once, e.g. \'{"halfLifeDays": 365}\'.')
@click.option("--as", "steward", required=True, help="The steward making the change.")
@click.pass_context
def pool_set_method(ctx: click.Context, slug: str, method: str, params: tuple[str, ...],
                    params_json: str | None, steward: str) -> None:
    """A steward sets how standing in pool SLUG is computed, from now on.

    The change is a signed Update in the pool's log, so it is public and dated; earlier
    Standing documents keep the method they name. Unset parameters take their defaults.
    """
    node = node_from(ctx)
    activity = set_method(node, slug, method=method, parameters=read_params(params, params_json), steward=steward)
    click.echo(f"{method} from {activity['published']}: {activity['id']}")
