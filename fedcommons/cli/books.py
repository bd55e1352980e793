"""`fedcommons books ...`: a cooperative's open books (income, expenses, statements, exports)."""

import sys
from pathlib import Path

import click

from ..books import statement_period
from ..books.exports import in_range, journal, movements_csv
from ..books.statement import statement_csv
from ..services.books import books as service
from ..services.books.checks import verify_statement
from ..services.payouts.coops import require_coop
from . import main
from .common import FORMAT, echo_json, node_from
from .network import with_client


@main.group()
def books() -> None:
    """A cooperative's open books: income and expenses in the public log, statements, exports.

    \b
      fedcommons books expense COOP --amount 120.50 --currency EUR --category rent --counterparty-name Stadtwerke --as MEMBER
      fedcommons books income COOP --amount 1000 --currency EUR --category grants --counterparty URL --as MEMBER
      fedcommons books reverse COOP ENTRY_URL --as MEMBER
      fedcommons books balance COOP
      fedcommons books statement COOP --period 2026-Q4 --format csv
      fedcommons books export COOP --from 2026-01-01 --to 2026-12-31 --format ledger --private
      fedcommons books verify URL
    """


def _entry_options(command):
    options = [
        click.option("--amount", required=True, help="In major units, no finer than the unit's minor unit: 120.50."),
        click.option("--currency", "currency_code", required=True,
                     help="An ISO 4217 code (EUR), or another unit with --decimals (hours)."),
        click.option("--decimals", type=click.IntRange(0, 18), help="Decimals of a unit outside ISO 4217."),
        click.option("--category", required=True, help="The book category: rent, grants, donations..."),
        click.option("--date", "booked_on", help="When it happened, YYYY-MM-DD (default today; never in the future)."),
        click.option("--counterparty", help="The other side as an actor: its URL or a local actor's name."),
        click.option("--counterparty-name", help="The other side as free text, for one without an actor."),
        click.option("--memo", help="One line saying what it was."),
        click.option("--evidence", multiple=True, help="A link that shows it, such as an invoice URL (repeatable)."),
        click.option("--as", "member", required=True, help="The member recording it for the cooperative."),
        click.option("--from-balance", is_flag=True,
                     help="Refuse an expense that would take the balance of its unit below zero."),
        FORMAT,
        click.argument("slug", metavar="COOP"),
        click.pass_context,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _record(ctx, kind, slug, amount, currency_code, decimals, category, booked_on, counterparty,
            counterparty_name, memo, evidence, member, from_balance, fmt) -> None:
    node = node_from(ctx)
    new = service.NewEntry(kind=kind, amount=amount, currency=currency_code, decimals=decimals,
                           booked_on=booked_on or service.today().isoformat(), category=category,
                           counterparty=counterparty, counterparty_name=counterparty_name, memo=memo,
                           evidence=tuple(evidence))
    entry = service.record(node, slug, new, member=member, from_balance=from_balance)
    _show_entry(entry, fmt)


def _show_entry(entry: dict, fmt: str) -> None:
    if fmt == "json":
        echo_json(entry)
    else:
        click.echo(f"{entry['entryKind']} {entry['amount']} {entry['currency']} on {entry['bookedOn']} "
                   f"({entry['category']}): {entry['id']}")


@books.command("income")
@_entry_options
def books_income(ctx, slug, **options) -> None:
    """Record income of COOP: money (or hours, or a LETS unit) it received.

    Signed by the cooperative and appended to the public log. A mistake is undone with
    `books reverse`, never edited.
    """
    _record(ctx, "income", slug, **options)


@books.command("expense")
@_entry_options
def books_expense(ctx, slug, **options) -> None:
    """Record an expense of COOP: money (or hours, or a LETS unit) it paid out.

    With --from-balance, an expense larger than what the books hold in its unit is
    refused (exit 2) and nothing is written.
    """
    _record(ctx, "expense", slug, **options)


@books.command("reverse")
@click.argument("slug", metavar="COOP")
@click.argument("entry", metavar="ENTRY_URL")
@click.option("--as", "member", required=True, help="The member recording the reversal.")
@click.option("--date", "booked_on", help="The date of the correction, YYYY-MM-DD (default today).")
@click.option("--memo", help="Why it is reversed.")
@click.option("--from-balance", is_flag=True, help="Refuse reversing income the balance no longer holds.")
@FORMAT
@click.pass_context
def books_reverse(ctx, slug, entry, member, booked_on, memo, from_balance, fmt) -> None:
    """Undo the book entry ENTRY_URL of COOP with a new entry that corrects it."""
    node = node_from(ctx)
    _show_entry(service.reverse(node, slug, entry, member=member, booked_on=booked_on, memo=memo,
                                from_balance=from_balance), fmt)


@books.command("balance")
@click.argument("slug", metavar="COOP")
@FORMAT
@click.pass_context
def books_balance(ctx, slug, fmt) -> None:
    """What COOP holds per currency or unit: income minus expenses minus distributions."""
    node = node_from(ctx)
    held = service.balances_now(node, slug)
    rows = sorted(held.items(), key=lambda item: item[0].code)
    if fmt == "json":
        echo_json({unit.code: unit.to_string(minor) for unit, minor in rows})
        return
    if not rows:
        click.echo("nothing recorded yet")
    for unit, minor in rows:
        click.echo(unit.display(minor))


def _period_options(command):
    for option in reversed([
        click.option("--period", help="2026, 2026-Q4, 2026-10, 2026-10-05 or 2026-01/2026-06 (default: this year)."),
        click.option("--from", "start", help="First day of a range, YYYY-MM-DD (instead of --period)."),
        click.option("--to", "end", help="Last day of a range, YYYY-MM-DD (inclusive; default today)."),
    ]):
        command = option(command)
    return command


@books.command("statement")
@click.argument("slug", metavar="COOP")
@_period_options
@click.option("--tree-size", type=click.IntRange(min=0), help="Compute it from this many log entries (default: all).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="text for people, json (the JSON-LD Statement), csv.")
@click.pass_context
def books_statement(ctx, slug, period, start, end, tree_size, fmt) -> None:
    """COOP's statement for a period: balances at start and end, income and expenses by
    category, distributions, and every line with its log entry."""
    node = node_from(ctx)
    coop = require_coop(node, slug)
    label, first, after = statement_period(period, start, end, today=service.today())
    document = service.statement(node, coop, label, first, after, tree_size)
    if fmt == "json":
        echo_json(document)
    elif fmt == "csv":
        click.echo(statement_csv(document), nl=False)
    else:
        _print_statement(document)


def _print_statement(doc: dict) -> None:
    click.echo(f"{doc['cooperative']}  {doc['period']} [{doc['periodStart']}, {doc['periodEnd']})  "
               f"log at {doc['checkpoint']['treeSize']} entries")
    if not doc["balances"]:
        click.echo("  nothing recorded")
    for row in doc["balances"]:
        code = row["currency"]
        click.echo(f"  {code}: opening {row['opening']}  income {row['income']}  expenses {row['expenses']}  "
                   f"distributions {row['distributions']}  closing {row['closing']}")
        for c in doc["categories"]:
            if c["currency"] == code:
                click.echo(f"    {c['entryKind']:<8} {c['category']:<24} {c['amount']:>14}")
    for line in doc["lines"]:
        click.echo(f"  {line['bookedOn']}  {line['entryKind']:<8} {line['amount']:>14} {line['currency']:<6} "
                   f"{line['category']:<16} {line['entry']}")


@books.command("export")
@click.argument("slug", metavar="COOP")
@click.option("--from", "start", help="First day, YYYY-MM-DD (default: the beginning of the books).")
@click.option("--to", "end", help="Last day, YYYY-MM-DD, inclusive (default today).")
@click.option("--format", "fmt", type=click.Choice(["csv", "ledger"]), default="csv", show_default=True,
              help="csv: a row per movement; ledger: a plain-text journal hledger and ledger read.")
@click.option("--private", "private", is_flag=True,
              help="Add payees' legal names and bank details from this node's private table.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
@click.pass_context
def books_export(ctx, slug, start, end, fmt, private, output) -> None:
    """COOP's movements in a date range for the bookkeeper: income, expenses, and a row per
    person paid by each distribution."""
    node = node_from(ctx)
    coop = require_coop(node, slug)
    _, first, after = statement_period(None, start or "0001-01-01", end, today=service.today())
    found = in_range(service.coop_movements(node, coop), first, after)
    names = service.names(node, found)
    payees = service.payees(node) if private else None
    if fmt == "csv":
        text = movements_csv(found, names, payees)
    else:
        text = journal(found, names, title=f"{coop.display_name or coop.name} ({coop.id}) from {first} "
                                           f"to before {after}", payees=payees)
    if output:
        Path(output).write_text(text, encoding="utf-8", newline="")
        click.echo(f"wrote {len(found)} movements to {output}", err=True)
    else:
        click.echo(text, nl=False)


@books.group("payee")
def payee() -> None:
    """The private payee table: legal names and bank details, never in the log, never served."""


@payee.command("set")
@click.argument("actor")
@click.option("--legal-name", required=True, help="The payee's legal name, as the bank needs it.")
@click.option("--bank", "bank_details", required=True, help="Bank details: IBAN and BIC, or an account number.")
@click.pass_context
def payee_set(ctx, actor, legal_name, bank_details) -> None:
    """Record the payee details of ACTOR (a URL or a local actor's name) on this node only."""
    node = node_from(ctx)
    click.echo(service.set_payee(node, actor, legal_name, bank_details))


@payee.command("remove")
@click.argument("actor")
@click.pass_context
def payee_remove(ctx, actor) -> None:
    """Forget the payee details of ACTOR."""
    node = node_from(ctx)
    if not service.remove_payee(node, actor):
        click.echo(f"no payee details for {actor}", err=True)


@payee.command("list")
@FORMAT
@click.pass_context
def payee_list(ctx, fmt) -> None:
    """Every payee recorded on this node (for the bookkeeper's eyes only)."""
    node = node_from(ctx)
    rows = service.payees(node)
    if fmt == "json":
        echo_json({actor: {"legalName": p.legal_name, "bankDetails": p.bank_details} for actor, p in rows.items()})
        return
    for actor, p in rows.items():
        click.echo(f"{actor}  {p.legal_name}  {p.bank_details}")


@books.command("verify")
@click.argument("url")
@FORMAT
@click.pass_context
def books_verify(ctx, url, fmt) -> None:
    """Recompute the published statement at URL from the log it names.

    Exit 0 when every figure and line matches; exit 1 listing every difference otherwise.
    """
    node = node_from(ctx)
    check = with_client(node, lambda client: verify_statement(node, client, url))
    if fmt == "json":
        echo_json(check.as_json())
    elif check.ok:
        click.echo(f"ok: the statement of {check.cooperative} for {check.period} ({check.lines} lines) "
                   f"recomputes exactly from the first {check.tree_size} entries of the log")
    else:
        click.echo(f"does not verify: {url}", err=True)
        for problem in check.problems:
            click.echo(f"  {problem}", err=True)
    if not check.ok:
        sys.exit(1)
