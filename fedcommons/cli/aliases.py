"""`fedcommons alias suggest|add|list|remove`: which actor a source identity is, in a pool."""

import click

from ..errors import BadInput
from ..services.importing import aliases as service
from . import main
from .common import FORMAT, echo_json, node_from


@main.group("alias")
def alias_group() -> None:
    """Map source identities (git e-mails, ORCIDs) to actors; stewards only.

    Aliases are private to this node: the log names only the actor.
    """


@alias_group.command("suggest")
@click.argument("pool")
@FORMAT
@click.pass_context
def suggest_cmd(ctx, pool, fmt) -> None:
    """The identities of POOL's sources with no alias, the items waiting for each, and the
    actors each may be (the same name, a .mailmap grouping, an ORCID on a profile).
    Nothing is applied: confirm one with `fedcommons alias add`."""
    found = service.suggest(node_from(ctx), pool)
    if fmt == "json":
        echo_json([u.to_json() for u in found])
        return
    if not found:
        click.echo(f"every identity of {pool}'s sources has an alias")
    for u in found:
        click.echo(f"{u.key}\t{u.name}\t{u.waiting} waiting")
        for s in u.suggestions:
            click.echo(f"    maybe {s.actor} ({s.why})")


@alias_group.command("add")
@click.argument("key")
@click.argument("actor")
@click.option("--as", "steward", required=True, metavar="STEWARD", help="The steward who confirms it.")
@click.option("--pool", help="The pool (needed only when the identity appears in several of yours).")
@click.pass_context
def add_cmd(ctx, key, actor, steward, pool) -> None:
    """Confirm that source identity KEY (such as email:alice@example.org) is ACTOR (a local
    name or any actor URL), and record the items that waited for it."""
    node = node_from(ctx)
    pool = pool or service.pool_for(node, key, steward)
    recorded = service.confirm(node, pool, key, actor, steward)
    click.echo(f"{key} is {actor} in {pool}; recorded {recorded} waiting contributions")


@alias_group.command("list")
@click.option("--pool", help="Only this pool's aliases.")
@FORMAT
@click.pass_context
def list_cmd(ctx, pool, fmt) -> None:
    """The confirmed aliases, with who confirmed them."""
    found = service.listing(node_from(ctx), pool)
    if fmt == "json":
        echo_json(found)
        return
    if not found:
        click.echo("no aliases yet (see `fedcommons alias suggest POOL`)")
    for a in found:
        click.echo(f"{a['pool']}\t{a['key']}\t{a['actor']}\t(by {a['confirmedBy']} at {a['confirmedAt']})")


@alias_group.command("remove")
@click.argument("key")
@click.option("--pool", required=True, help="The pool the alias is in.")
@click.option("--as", "steward", required=True, metavar="STEWARD", help="A steward of the pool.")
@click.pass_context
def remove_cmd(ctx, key, pool, steward) -> None:
    """Forget an alias. What it recorded stays in the log (a steward may reject it); the
    identity's later items wait again."""
    if not key.strip():
        raise BadInput("name the identity to forget")
    service.remove(node_from(ctx), pool, key, steward)
    click.echo(f"forgot {key} in {pool}")
