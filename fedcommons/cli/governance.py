"""Governing pools and cooperatives: adopt governance, propose, vote, delegate, tally."""

import json

import click

from ..errors import BadInput
from ..services.governance import proposals as service
from ..services.governance import tallies
from ..standing.clock import parse_micros
from ..store import actors as actor_store
from ..store import governance as governance_store
from . import main
from .common import FORMAT, echo_check, echo_json, node_from
from .network import with_client


@main.group()
def governance() -> None:
    """Adopt governance for a pool, settle ended proposals, verify a Tally.

    \b
      fedcommons governance adopt garden --as bob     proposals decide from now on
      fedcommons governance settle                    apply what passed (the server does it too)
      fedcommons governance verify URL                recount a published Tally
    """


@governance.command("adopt")
@click.argument("pool")
@click.option("--as", "steward", required=True, metavar="NAME",
              help="The steward who adopts it (a member, with --coop).")
@click.option("--coop", is_flag=True, help="POOL is a cooperative: its members vote on what it sustains and "
                                           "its default payout constraints (--electorate and --active-days "
                                           "do not apply).")
@click.option("--electorate", type=click.Choice(["contributors", "standing", "stewards"]), default="contributors",
              show_default=True, help="Who votes: contributors with validated work in the last --active-days "
                                      "(one vote each), everyone weighted by standing, or the stewards.")
@click.option("--active-days", type=click.IntRange(1, 36500), default=90, show_default=True,
              help="For --electorate contributors: how recent their validated work must be.")
@click.option("--quorum", default="1/10", show_default=True,
              help="The share of the electorate's weight that must vote, such as 1/10 or 0.25.")
@click.option("--majority", default="1/2", show_default=True,
              help="1/2: more than half of the votes counted; a larger fraction: at least that share.")
@click.pass_context
def adopt(ctx, pool: str, steward: str, coop: bool, electorate: str, active_days: int, quorum: str,
          majority: str) -> None:
    """From now on POOL's stewards, method, licence, follower approval and these settings
    change only when a proposal passes (with --coop: what the cooperative sustains and its
    default payout constraints)."""
    if coop:
        activity = service.adopt_for_coop(node_from(ctx), pool, member=steward,
                                          settings={"quorum": quorum, "majority": majority})
    else:
        activity = service.adopt(node_from(ctx), pool, steward=steward, settings={
            "electorate": electorate, "activeDays": active_days, "quorum": quorum, "majority": majority})
    click.echo(f"{pool} adopted governance: {json.dumps(activity['object']['governance'])}")


@governance.command("settle")
@FORMAT
@click.pass_context
def settle(ctx, fmt: str) -> None:
    """Settle every proposal whose end has passed: tally it, apply what was adopted."""
    done = tallies.settle_due(node_from(ctx))
    if fmt == "json":
        echo_json([{"proposal": p, "outcome": o, "update": u} for p, o, u in done])
        return
    for proposal, outcome, update in done:
        click.echo(f"{proposal}: {outcome}" + (f", applied by {update}" if update else ""))
    if not done:
        click.echo("no proposal is waiting to be settled")


@governance.command("verify")
@click.argument("url")
@FORMAT
@click.pass_context
def verify(ctx, url: str, fmt: str) -> None:
    """Recount a Tally document (its URL): its proof, the log's root at its treeSize, and
    every vote, path, total and the outcome. Exit 0 when all match, 1 naming the first
    difference."""
    node = node_from(ctx)

    async def fetch_and_verify(client):
        return await tallies.verify_tally(node, client, await tallies.fetch_tally(node, client, url))

    check = with_client(node, fetch_and_verify)
    echo_check(check, fmt, counted="votes",
               ok=f"ok: all {check.rows} votes and the outcome match a recount from the first "
                  f"{check.tree_size} entries of the log of {check.origin}")


@main.command("propose")
@click.argument("target")
@click.option("--as", "proposer", required=True, metavar="NAME", help="Who proposes (a local person).")
@click.option("--title", required=True, help="What the proposal is about, in a line.")
@click.option("--change", "change_json", required=True, metavar="JSON",
              help='The governed parameters the "yes" option sets, as a JSON object, such as '
                   '\'{"license": "CC0-1.0"}\' or \'{"stewards": [URL, ...]}\'.')
@click.option("--ends", default="7d", show_default=True,
              help="When voting closes: a duration (30m, 48h, 7d) or an ISO 8601 instant.")
@click.option("--coop", is_flag=True, help="TARGET is a cooperative (its members vote on sustains, "
                                           "payoutConstraints and governance).")
@click.pass_context
def propose(ctx, target: str, proposer: str, title: str, change_json: str, ends: str, coop: bool) -> None:
    """Publish a proposal of TARGET (a local pool) to its followers; prints its URL."""
    try:
        change = json.loads(change_json)
    except ValueError:
        raise BadInput(f"--change is not JSON: {change_json[:80]}") from None
    activity = service.propose(node_from(ctx), target, proposer=proposer, title=title, change=change,
                               ends=service.parse_end(ends), kind="cooperative" if coop else "pool")
    click.echo(activity["object"]["id"])


@main.command("vote")
@click.argument("proposal")
@click.argument("option")
@click.option("--as", "voter", required=True, metavar="NAME", help="Who votes (a local person).")
@click.pass_context
def vote(ctx, proposal: str, option: str, voter: str) -> None:
    """Vote OPTION on PROPOSAL (its URL). A later vote replaces an earlier one."""
    activity = service.vote(node_from(ctx), voter, proposal, option)
    click.echo(activity["id"])


@main.command("delegate")
@click.argument("scope")
@click.option("--to", "to", required=True, metavar="NAME_OR_URL", help="Who votes for you.")
@click.option("--as", "delegator", required=True, metavar="NAME", help="Who delegates (a local person).")
@click.pass_context
def delegate(ctx, scope: str, to: str, delegator: str) -> None:
    """Give your vote in SCOPE (a pool, or a cooperative for all the pools it sustains) to
    someone; your own vote on a proposal still overrides it."""
    click.echo(service.delegate(node_from(ctx), delegator, to, scope)["id"])


@main.command("undelegate")
@click.argument("scope")
@click.option("--as", "delegator", required=True, metavar="NAME", help="Who takes their vote back.")
@click.pass_context
def undelegate(ctx, scope: str, delegator: str) -> None:
    """Take back your delegation in SCOPE."""
    click.echo(service.undelegate(node_from(ctx), delegator, scope)["id"])


@main.command("proposals")
@click.argument("target")
@FORMAT
@click.pass_context
def list_proposals(ctx, target: str, fmt: str) -> None:
    """The proposals of TARGET (a local pool or cooperative), the latest end first."""
    node = node_from(ctx)
    governs = service.scope_of(node, target)
    if actor_store.actor(node.db, governs) is None:
        raise BadInput(f"{target} is not an actor of this node")
    rows = governance_store.proposals(node.db, governs)
    if fmt == "json":
        echo_json([{"id": r.id, "title": r.title, "proposer": r.proposer, "endTime": r.end_time,
                    "outcome": r.outcome, "tally": r.tally} for r in rows])
        return
    if not rows:
        click.echo(f"{target} has no proposals")
    for r in rows:
        click.echo(f"{r.id}  ends {r.end_time}  {r.outcome or 'open'}  {r.title}")


@main.command("tally")
@click.argument("proposal")
@click.option("--as-of", "as_of", metavar="TIME", help="An ISO 8601 instant (default: now, or the end once passed).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: totals, outcome and each counted vote with its path; json: the signed Tally.")
@click.pass_context
def tally(ctx, proposal: str, as_of: str | None, fmt: str) -> None:
    """The tally of PROPOSAL (its URL), live while it is open."""
    micros = None
    if as_of is not None:
        micros = parse_micros(as_of)
        if micros is None:
            raise BadInput(f"--as-of {as_of!r} is not an ISO 8601 instant")
    result = tallies.proposal_tally(node_from(ctx), proposal, as_of=micros)
    doc = result.document
    if fmt == "json":
        click.echo(result.body.decode("utf-8"))
        return
    click.echo(f"{doc['proposal']}: {doc['outcome']}" + (f" ({doc['winner']})" if doc["winner"] else "")
               + f", as of {doc['asOf']}, ends {doc['endTime']}")
    click.echo(f"electorate weight {doc['electorateWeight']}, counted {doc['participation']}; quorum "
               f"{doc['governance']['quorum']}, majority {doc['governance']['majority']}")
    for total in doc["totals"]:
        click.echo(f"  {total['option']}: {total['weight']}")
    for v in doc["votes"]:
        click.echo(f"  {v['elector']} -> {v['option']} ({v['weight']})"
                   + (f" via {' > '.join(v['path'][1:])}" if len(v["path"]) > 1 else ""))
    for u in doc["uncounted"]:
        click.echo(f"  not counted: {u['voter']}: {u['reason']}")
    click.echo(doc["id"])
