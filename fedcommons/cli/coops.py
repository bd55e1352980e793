"""`fedcommons coop ...` (cooperatives and the pools they sustain) and `fedcommons payout ...`."""

import sys
from fractions import Fraction

import click

from ..errors import BadInput, NotFound
from ..payout import POLICIES, payouts_csv
from ..payout.defaults import FIELDS
from ..services.payouts import coops as service
from ..services.payouts import payouts
from ..services.payouts.payout_checks import MAX_DOCUMENT_BYTES, verify_distribution
from ..store import coops as coop_store
from . import main
from .common import FORMAT, echo_json, node_from
from .network import with_client


@main.group()
def coop() -> None:
    """Cooperatives: they sustain pools (on any node) and pay their contributors."""


@coop.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The cooperative's display name.")
@click.option("--member", "members", multiple=True, required=True,
              help="A local person who may act for it: sustain pools, run payouts (repeatable).")
@click.option("--summary", help="One line describing the cooperative.")
@click.pass_context
def coop_create(ctx, slug: str, name: str, members: tuple[str, ...], summary: str | None) -> None:
    """Create a cooperative SLUG with its own keys; prints its URL."""
    node = node_from(ctx)
    click.echo(service.create_coop(node, slug, name=name, members=list(members), summary=summary).id)


@coop.command("add-member")
@click.argument("slug")
@click.argument("people", nargs=-1, required=True)
@click.option("--as", "member", required=True, help="A member of the cooperative.")
@click.pass_context
def coop_add_member(ctx, slug: str, people: tuple[str, ...], member: str) -> None:
    """Let more local people act for the cooperative SLUG."""
    node = node_from(ctx)
    for person in service.add_members(node, slug, list(people), member=member):
        click.echo(person)


@coop.command("sustain")
@click.argument("slug")
@click.argument("pool")
@click.option("--weight", default="1", show_default=True,
              help="The pool's share of the cooperative's support, relative to its other pools.")
@click.option("--as", "member", required=True, help="A member of the cooperative.")
@click.option("--no-sync", is_flag=True, help="For a remote pool: do not replicate its node's log now.")
@click.pass_context
def coop_sustain(ctx, slug: str, pool: str, weight: str, member: str, no_sync: bool) -> None:
    """Have SLUG sustain POOL (a local slug, @name@host or URL), or change its weight.

    A pool on another node is followed by the cooperative, and that node's log is
    replicated here (as `fedcommons sync` does) so its standing can be computed; the
    running server keeps the replica up to date.
    """
    node = node_from(ctx)
    change = with_client(node, lambda client: service.sustain(
        node, client, slug, pool, member=member, weight=weight, replicate=not no_sync))
    _show_sustains(change.sustains)
    if change.follow_id:
        click.echo(f"follow sent to {change.pool.id} (the running server delivers it)")
    if change.replicated is not None:
        click.echo(f"replicated the log of {service.home_node(change.pool)}: {change.replicated} entries")
    if change.sync_problem:
        click.echo(f"warning: the log of {change.pool.id}'s node is not replicated yet: {change.sync_problem}; "
                   "the server's sync worker will retry (or run `fedcommons sync URL`)", err=True)


@coop.command("unsustain")
@click.argument("slug")
@click.argument("pool")
@click.option("--as", "member", required=True, help="A member of the cooperative.")
@click.pass_context
def coop_unsustain(ctx, slug: str, pool: str, member: str) -> None:
    """Have SLUG stop sustaining POOL; its earlier distributions stay as published."""
    node = node_from(ctx)
    change = with_client(node, lambda client: service.unsustain(node, client, slug, pool, member=member))
    _show_sustains(change.sustains)


@coop.command("constraints")
@click.argument("slug")
@click.option("--max-ratio", help="Highest payout at most this many times the lowest; 'none' for no limit.")
@click.option("--floor", help="The least anyone paid gets, in major units of --currency.")
@click.option("--cap", help="The most anyone gets, in major units of --currency.")
@click.option("--currency", "currency_code", help="The currency of --floor and --cap (an ISO 4217 code).")
@click.option("--basic-share", help="Fraction of the amount split equally among everyone paid: 0.2.")
@click.option("--clear", is_flag=True, help="State no defaults: payouts fall back to the built-in ones.")
@click.option("--as", "member", help="A member of the cooperative (needed to change them).")
@FORMAT
@click.pass_context
def coop_constraints(ctx, slug, max_ratio, floor, cap, currency_code, basic_share, clear, member, fmt) -> None:
    """Show or state SLUG's default payout constraints: what a payout uses where its run
    gives none (`payout --max-ratio ...` still wins, constraint by constraint).

    With any option, the options given replace the whole set, in the cooperative's signed
    Update of itself; refused once it has adopted governance (then its members propose:
    `fedcommons propose SLUG --coop --change '{"payoutConstraints": {...}}'`).
    """
    node = node_from(ctx)
    given = {key: value for key, value in (("maxRatio", max_ratio), ("floor", floor), ("cap", cap),
                                           ("currency", currency_code), ("basicShare", basic_share))
             if value is not None}
    if given and clear:
        raise BadInput("--clear states no defaults: give it alone")
    if given or clear:
        if member is None:
            raise BadInput("say which member states the defaults (--as MEMBER)")
        service.set_payout_defaults(node, slug, given, member=member)
    defaults = service.payout_defaults(node, service.require_coop(node, slug))
    if fmt == "json":
        echo_json(defaults)
    else:
        click.echo(_defaults_line(defaults))


def _defaults_line(defaults: dict) -> str:
    if not defaults:
        return "  payout defaults: none (ratio 8, no floor, no cap, no basic share)"
    shown = [f"{key} {defaults[key]}" for key in FIELDS if key in defaults and key != "currency"]
    unit = f" ({defaults['currency']})" if "currency" in defaults else ""
    return f"  payout defaults: {', '.join(shown)}{unit}"


@coop.command("show")
@click.argument("slug")
@FORMAT
@click.pass_context
def coop_show(ctx, slug: str, fmt: str) -> None:
    """Members, sustained pools and distributions of the cooperative SLUG."""
    node = node_from(ctx)
    row = service.require_coop(node, slug)
    sustains = service.sustained(node, row)
    members = service.members(node, row)
    recent = coop_store.distributions(node.db, row.id, limit=20)
    defaults = service.payout_defaults(node, row)
    if fmt == "json":
        echo_json({"id": row.id, "name": row.display_name, "members": members,
                   "sustains": [{"pool": s.pool, "weight": s.weight_text} for s in sustains],
                   "payoutConstraints": defaults,
                   "distributions": [d.id for d in recent]})
        return
    click.echo(f"{row.id}  ({row.display_name})")
    for person in members:
        click.echo(f"  member:   {person}")
    _show_sustains(sustains)
    click.echo(_defaults_line(defaults))
    for d in recent:
        click.echo(f"  paid:     {d.published[:10]}  {d.amount} {d.currency}  {d.policy:<9} "
                   f"{d.period or '':<8} {d.recipients:>6} people  {d.id}")


def _show_sustains(sustains) -> None:
    if not sustains:
        click.echo("  sustains no pool")
    total = sum(s.weight for s in sustains)
    for s in sustains:
        click.echo(f"  sustains: {s.pool}  weight {s.weight_text} ({_percent(s.weight / total)})")


class _MakeByDefault(click.Group):
    """`fedcommons payout COOP ...` means `fedcommons payout make COOP ...`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["make", *args]
        return super().parse_args(ctx, args)


@main.group(cls=_MakeByDefault)
def payout() -> None:
    """Split a cooperative's income among the contributors of the pools it sustains.

    \b
      fedcommons payout COOP --amount 10000.00 --currency EUR --policy immediate --period 2026-10 --as MEMBER
      fedcommons payout list COOP
      fedcommons payout show URL --format csv
      fedcommons payout verify URL

    (A cooperative named make, list, show or verify is paid with `fedcommons payout make NAME ...`.)
    """


@payout.command("make")
@click.argument("slug", metavar="COOP")
@click.option("--amount", help="The amount to split, in major units: 10000.00 (required unless --from-balance).")
@click.option("--currency", "currency_code", required=True,
              help="An ISO 4217 code (EUR), or another unit with --decimals (hours).")
@click.option("--policy", type=click.Choice(POLICIES), required=True,
              help="immediate: standing in --period; balanced: lifetime standing minus what this "
                   "cooperative already paid; recent: standing decayed by --half-life-days.")
@click.option("--period", help="2026-10, 2026, 2026-10-05 or 2026-01/2026-06. Required for immediate "
                               "(the standing counts work in it); a label for the other policies.")
@click.option("--max-ratio",
              help="Highest payout at most this many times the lowest; 'none' for no limit "
                   "[default: COOP's default payout constraint, else 8].")
@click.option("--floor", help="The least anyone paid gets, in major units [default: COOP's default, else none].")
@click.option("--cap", help="The most anyone gets, in major units [default: COOP's default, else none].")
@click.option("--basic-share",
              help="Fraction of the amount split equally among everyone paid: 0.2 "
                   "[default: COOP's default, else 0].")
@click.option("--decimals", type=click.IntRange(0, 18), help="Decimals of a unit outside ISO 4217.")
@click.option("--half-life-days", type=click.FloatRange(min=0, min_open=True),
              help=f"For --policy recent: work counts half after this many days "
                   f"(default {payouts.DEFAULT_HALF_LIFE_DAYS}).")
@click.option("--as", "member", help="The member running the payout (needed unless --dry-run).")
@click.option("--dry-run", is_flag=True, help="Compute and show the split; write nothing.")
@click.option("--from-balance", is_flag=True,
              help="Pay at most what COOP's books hold in the currency (`fedcommons books balance`); "
                   "without --amount, all of it. A larger --amount is refused (exit 2).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table for people, json (the Distribution), csv for the bookkeeper.")
@click.pass_context
def payout_make(ctx, slug, amount, currency_code, policy, period, max_ratio, floor, cap, basic_share,
                decimals, half_life_days, member, dry_run, from_balance, fmt) -> None:
    """Split --amount among the contributors of the pools COOP sustains, and publish it.

    Infeasible constraints are refused (exit 2) naming the nearest amount that works, and
    nothing is written. Without --dry-run the split is published as a signed Distribution
    in the log, with the Standings it used, at COOP/distributions/ID (HTML, JSON-LD, CSV).
    """
    node = node_from(ctx)
    options = payouts.PayoutOptions(
        amount=amount, currency=currency_code, policy=policy, period=period,
        max_ratio=max_ratio,
        floor=floor, cap=cap, basic_share=basic_share, decimals=decimals, half_life_days=half_life_days,
    )
    plan = payouts.make_payout(node, slug, options, member=member, dry_run=dry_run, from_balance=from_balance)
    if fmt == "json":
        echo_json({"written": plan.written, "binding": list(plan.allocation.binding),
                   "notes": plan.notes, "distribution": plan.document})
    elif fmt == "csv":
        click.echo(payouts_csv(plan.document), nl=False)
    else:
        _print_plan(plan)
    for note in plan.notes:
        click.echo(f"note: {note}", err=True)


def _print_plan(plan) -> None:
    unit, doc = plan.unit, plan.document
    limits = ", ".join(f"{k} {v}" for k, v in doc["constraints"].items()) or "none"
    period = f" for {plan.period}" if plan.period else ""
    click.echo(f"{plan.coop.display_name or plan.coop.name}: {unit.display(plan.amount)}{period} "
               f"by the {plan.policy} policy; constraints: {limits}")
    click.echo(f"constraints that bound: {', '.join(plan.allocation.binding) or 'none'}")
    for used in plan.standings:
        cp = used.document["checkpoint"]
        click.echo(f"standing of {used.sustain.pool} (weight {used.sustain.weight_text}): "
                   f"{len(used.document['standings'])} contributors, {used.document['method']} "
                   f"as of {used.document['asOf']}, log {cp['origin']} at {cp['treeSize']} entries")
    payouts_ = plan.allocation.payouts
    bounds = payouts.recipient_bounds(plan)
    shares = plan.standing_shares()
    width = max(len("recipient"), *(len(r) for r in payouts_))
    amount_width = max(len("amount"), len(unit.display(plan.amount)) - len(unit.code) - 1)
    click.echo(f"{'recipient':<{width}}  {'amount':>{amount_width}}  {'share':>8}  {'standing':>8}  bound")
    ranked = sorted(payouts_.items(), key=lambda item: (-item[1], item[0]))
    lines = []
    for recipient, minor in ranked:
        shown = unit.display(minor).removesuffix(f" {unit.code}")
        lines.append(f"{recipient:<{width}}  {shown:>{amount_width}}  "
                     f"{_percent(Fraction(minor, plan.amount)):>8}  "
                     f"{_percent(shares.get(recipient, Fraction(0))):>8}  {bounds[recipient]}".rstrip())
    click.echo("\n".join(lines))
    total = unit.display(sum(payouts_.values())).removesuffix(f" {unit.code}")
    click.echo(f"{'total (' + unit.code + ')':<{width}}  {total:>{amount_width}}  {'100.00 %':>8}")
    if plan.written:
        click.echo(f"published: {plan.url}")
    else:
        click.echo("dry run: nothing was written")


@payout.command("list")
@click.argument("slug", metavar="COOP")
@FORMAT
@click.pass_context
def payout_list(ctx, slug: str, fmt: str) -> None:
    """The distributions COOP published, newest first."""
    node = node_from(ctx)
    row = service.require_coop(node, slug)
    rows = coop_store.distributions(node.db, row.id)
    if fmt == "json":
        echo_json([{"id": d.id, "published": d.published, "amount": d.amount, "currency": d.currency,
                    "policy": d.policy, "period": d.period, "recipients": d.recipients} for d in rows])
        return
    for d in rows:
        click.echo(f"{d.published}  {d.amount:>14} {d.currency}  {d.policy:<9} {d.period or '-':<9} "
                   f"{d.recipients:>6}  {d.id}")


@payout.command("show")
@click.argument("url")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="json: the signed Distribution; csv: recipient,amount,currency for the bookkeeper.")
@click.pass_context
def payout_show(ctx, url: str, fmt: str) -> None:
    """A distribution published on this node, by URL."""
    node = node_from(ctx)
    document = payouts.logged_object(node, url)
    if document is None or "Distribution" not in document.get("type", []):
        raise NotFound(f"no distribution {url} in this node's log (see `fedcommons payout list COOP`)")
    if fmt == "csv":
        click.echo(payouts_csv(document), nl=False)
    else:
        echo_json(document)


@payout.command("verify")
@click.argument("url")
@FORMAT
@click.pass_context
def payout_verify(ctx, url: str, fmt: str) -> None:
    """Fetch a published distribution and its inputs, check their proofs, and recompute it.

    Exit 0 when every payout matches; exit 1 listing every difference otherwise.
    """
    node = node_from(ctx)
    check = with_client(node, lambda client: verify_distribution(node, client, url),
                        max_bytes=MAX_DOCUMENT_BYTES)
    if fmt == "json":
        echo_json(check.as_json())
    elif check.ok:
        click.echo(f"ok: {check.amount} {check.currency} to {check.recipients:,} recipients by the "
                   f"{check.policy} policy recomputes exactly from {check.standings} standing(s)"
                   + (f" and {check.previous} earlier distribution(s)" if check.previous else "")
                   + f"; {check.recomputed_standings} standing(s) recomputed from the log")
        for note in check.notes:
            click.echo(f"note: {note}")
    else:
        click.echo(f"does not verify: {url}", err=True)
        for problem in check.problems:
            click.echo(f"  {problem}", err=True)
        for note in check.notes:
            click.echo(f"note: {note}", err=True)
    if not check.ok:
        sys.exit(1)


def _percent(value: Fraction) -> str:
    return f"{float(value) * 100:.2f} %"
