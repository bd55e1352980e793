"""The books' pure core: entries, the fold of the log, balances, statements and exports."""

import csv
import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedcommons.books import entry_document, movements, read_entry, statement_document, statement_period
from fedcommons.books.exports import Payee, journal, movements_csv
from fedcommons.books.ledger import Ledger, balances
from fedcommons.books.statement import statement_csv
from fedcommons.errors import BadInput
from fedcommons.ld.context import activity_context
from fedcommons.ld.loader import expand
from fedcommons.payout.money import currency

COOP = "https://n.example/coops/rootwork"
OTHER = "https://n.example/coops/other"
TODAY = date(2026, 12, 5)
EUR, JPY, KWD, HOURS = currency("EUR"), currency("JPY"), currency("KWD"), currency("hours", 2)
UNITS = [EUR, JPY, KWD, HOURS]


def entry(n, kind, amount, unit=EUR, day="2026-10-05", corrects=None, coop=COOP, **extra):
    """A logged Create of a BookEntry, as the cooperative signs it (proof left out)."""
    doc = entry_document(coop, kind, amount, unit, day, today=TODAY, counterparty_name=extra.pop("name", "Shop"),
                         category=extra.pop("category", "supplies"), corrects=corrects, **extra)
    doc.update(id=f"{coop}/books/{n}", attributedTo=coop, published=f"{day}T12:00:00Z")
    return {"type": "Create", "actor": coop, "object": doc}


def distribution(n, payouts, unit=EUR, day="2026-10-31"):
    amount = sum(payouts.values())
    doc = {"id": f"{COOP}/distributions/{n}", "type": ["Document", "Distribution"], "cooperative": COOP,
           "amount": unit.to_string(amount), "currency": unit.code, "policy": "immediate", "period": "2026-10",
           "constraints": {},
           "inputs": [{"id": f"{COOP}/standings/1", "type": ["Document", "Standing"], "pool": "https://n.example/pools/g",
                       "weight": "1", "checkpoint": {"origin": "n.example/log", "treeSize": 1, "rootHash": "x"}}],
           "payouts": [{"recipient": r, "amount": unit.to_string(m)} for r, m in sorted(payouts.items())],
           "attributedTo": COOP, "published": f"{day}T10:00:00Z"}
    return {"type": "Create", "actor": COOP, "object": doc}


def fold(activities):
    return movements(list(enumerate(activities)), COOP)


def test_an_entry_round_trips_and_reads_as_valueflows_transfer():
    act = entry(1, "expense", "120.50", counterparty="https://n.example/users/dave", memo="seeds",
                evidence=("https://invoices.example/1.pdf",))
    doc = act["object"]
    assert doc["provider"] == COOP and doc["receiver"] == "https://n.example/users/dave"
    back = read_entry(doc)
    assert (back.kind, back.amount, back.unit, back.memo) == ("expense", 12050, EUR, "seeds")
    expanded = expand({"@context": activity_context(), **doc})[0]
    assert expanded["https://w3id.org/valueflows/ont/vf#action"] == [
        {"@id": "https://w3id.org/valueflows/ont/vf#transfer"}]
    assert "https://w3id.org/fedcommons#bookedOn" in expanded


@pytest.mark.parametrize("amount, unit, message", [
    ("1.005", EUR, "more decimals"), ("0.5", JPY, "more decimals"), ("0", EUR, "more than zero"),
    ("-3", EUR, "negative"), ("1e3", EUR, "plain decimal"),
])
def test_amounts_finer_than_the_minor_unit_or_malformed_are_refused(amount, unit, message):
    with pytest.raises(BadInput, match=message):
        entry_document(COOP, "income", amount, unit, "2026-10-01", today=TODAY, counterparty_name="x", category="c")


def test_future_dates_unknown_kinds_and_missing_counterparties_are_refused():
    with pytest.raises(BadInput, match="in the future"):
        entry_document(COOP, "income", "1", EUR, "2026-12-06", today=TODAY, counterparty_name="x", category="c")
    with pytest.raises(BadInput, match="income or expense"):
        entry_document(COOP, "gift", "1", EUR, "2026-10-01", today=TODAY, counterparty_name="x", category="c")
    with pytest.raises(BadInput, match="counterparty"):
        entry_document(COOP, "income", "1", EUR, "2026-10-01", today=TODAY, category="c")
    with pytest.raises(BadInput, match="unit name|not an active ISO"):
        currency("hours")


def test_only_what_the_cooperative_signed_counts_and_bad_reversals_are_skipped():
    stray = entry(9, "income", "5.00")
    stray["actor"] = OTHER
    other_coop = entry(8, "income", "7.00", coop=OTHER)
    found = fold([entry(1, "income", "100.00"), stray, other_coop,
                  entry(2, "expense", "10.00", corrects=f"{COOP}/books/1"),  # kind differs: skipped
                  entry(3, "income", "100.00", corrects=f"{COOP}/books/1"),
                  entry(4, "income", "100.00", corrects=f"{COOP}/books/1")])  # second reversal: skipped
    assert [m.id.rsplit("/", 1)[1] for m in found] == ["1", "3"]
    assert balances(found) == {EUR: 0}


def test_balance_is_income_minus_expenses_minus_distributions_in_every_unit():
    found = fold([entry(1, "income", "1000.00"), entry(2, "expense", "120.50"), entry(3, "income", "500", JPY),
                  entry(4, "income", "1.005", KWD), entry(5, "income", "7.25", HOURS),
                  distribution(6, {"https://n.example/users/alice": 30000, "https://n.example/users/dave": 10000})])
    assert balances(found) == {EUR: 100000 - 12050 - 40000, JPY: 500, KWD: 1005, HOURS: 725}
    assert [m.kind for m in found].count("payout") == 2


movement = st.tuples(st.sampled_from(["income", "expense"]), st.integers(1, 10**12), st.sampled_from(UNITS),
                     st.dates(date(2020, 1, 1), TODAY))


@settings(max_examples=60, deadline=None)
@given(st.lists(movement, max_size=25), st.randoms(use_true_random=False))
def test_the_balance_is_the_sum_of_the_movements_in_any_order(moves, rnd):
    logged = [entry(i, kind, unit.to_string(minor), unit, day.isoformat()) for i, (kind, minor, unit, day)
              in enumerate(moves)]
    expected: dict = {}
    for kind, minor, unit, _ in moves:
        expected[unit] = expected.get(unit, 0) + (minor if kind == "income" else -minor)
    shuffled = logged[:]
    rnd.shuffle(shuffled)
    assert balances(fold(logged)) == expected == balances(fold(shuffled))


@settings(max_examples=60, deadline=None)
@given(st.lists(movement, min_size=1, max_size=15), st.data())
def test_a_reversal_restores_the_balance_exactly(moves, data):
    logged = [entry(i, kind, unit.to_string(minor), unit, day.isoformat()) for i, (kind, minor, unit, day)
              in enumerate(moves)]
    before = balances(fold(logged))
    target = data.draw(st.integers(0, len(moves) - 1))
    kind, minor, unit, _ = moves[target]
    new = entry(f"r{target}", kind, unit.to_string(minor), unit, TODAY.isoformat(), corrects=f"{COOP}/books/{target}")
    extra = data.draw(movement)
    added = entry("x", extra[0], extra[2].to_string(extra[1]), extra[2], extra[3].isoformat())
    after = balances(fold(logged + [added, new]))
    restored = balances(fold(logged + [added]))
    restored[unit] = restored.get(unit, 0) - (minor if kind == "income" else -minor)
    assert after == restored
    assert balances(fold(logged + [new])) == {**before, unit: before[unit] - (minor if kind == "income" else -minor)}


def test_periods():
    assert statement_period("2026-Q4", today=TODAY) == ("2026-Q4", "2026-10-01", "2027-01-01")
    assert statement_period("2026-Q1", today=TODAY)[1:] == ("2026-01-01", "2026-04-01")
    assert statement_period("2026-10", today=TODAY)[1:] == ("2026-10-01", "2026-11-01")
    assert statement_period(start="2026-01-15", end="2026-02-10", today=TODAY)[1:] == ("2026-01-15", "2026-02-11")
    assert statement_period(today=TODAY)[1:] == ("2026-01-01", "2027-01-01")
    for bad in ("2026-Q5", "2026-13", "soon", "２０２６"):
        with pytest.raises(BadInput):
            statement_period(bad, today=TODAY)
    with pytest.raises(BadInput, match="before it starts"):
        statement_period(start="2026-02-01", end="2026-01-01", today=TODAY)


def test_a_statement_adds_up_and_links_each_line_to_its_proof():
    found = fold([entry(1, "income", "1000.00", day="2026-09-30", category="grants"),
                  entry(2, "expense", "120.50", day="2026-10-02", category="rent"),
                  entry(3, "income", "80.00", day="2026-10-03", category="donations"),
                  entry(4, "income", "20.00", day="2026-10-04", category="donations"),
                  distribution(5, {"https://n.example/users/alice": 30000, "https://n.example/users/dave": 10000}),
                  entry(6, "expense", "5.00", day="2026-11-02", category="rent")])
    checkpoint = {"origin": "n.example/log", "treeSize": 6, "rootHash": "abc="}
    label, start, after = statement_period("2026-10", today=TODAY)
    doc = statement_document(COOP, found, label=label, start=start, after=after, checkpoint=checkpoint,
                             url=f"{COOP}/books?period=2026-10")
    assert doc["balances"] == [{"currency": "EUR", "opening": "1000.00", "income": "100.00", "expenses": "120.50",
                                "distributions": "400.00", "closing": "579.50"}]
    assert {(c["entryKind"], c["category"], c["amount"]) for c in doc["categories"]} == {
        ("income", "donations", "100.00"), ("expense", "rent", "120.50")}
    assert [line["logIndex"] for line in doc["lines"]] == [1, 2, 3, 4]
    assert doc["lines"][-1]["recipientCount"] == 2 and doc["lines"][-1]["amount"] == "-400.00"
    assert doc["lines"][0]["inclusionProof"] == "https://n.example/log/proof/inclusion?index=1&size=6"
    rows = list(csv.reader(io.StringIO(statement_csv(doc))))
    assert rows[1] == ["2026-10", "EUR", "opening", "", "1000.00"] and rows[-1][-1] == "579.50"
    # The checkpoint bounds it: at size 3 the later entries do not exist yet.
    early = statement_document(COOP, found, label=label, start=start, after=after,
                               checkpoint={**checkpoint, "treeSize": 3}, url="u")
    assert early["balances"][0]["closing"] == "959.50"
    expanded = expand({"@context": activity_context(), **doc})[0]
    assert "https://w3id.org/fedcommons#line" in expanded


def test_the_export_has_a_row_per_movement_and_private_columns_only_when_asked():
    alice = "https://n.example/users/alice"
    found = fold([entry(1, "income", "1000.00", name="=HYPERLINK(1)"), entry(2, "expense", "1.005", KWD),
                  distribution(3, {alice: 30000})])
    rows = list(csv.DictReader(io.StringIO(movements_csv(found, {alice: "Alice"}))))
    assert [r["kind"] for r in rows] == ["income", "expense", "payout"]
    assert rows[0]["counterparty_name"] == "'=HYPERLINK(1)"
    assert rows[2]["counterparty_name"] == "Alice" and rows[2]["amount"] == "-300.00"
    assert rows[2]["distribution"].endswith("/distributions/3") and rows[2]["policy"] == "immediate"
    assert "payee_legal_name" not in rows[0]
    private = list(csv.DictReader(io.StringIO(movements_csv(found, {}, {alice: Payee("Alice Doe", "DE89 3704")}))))
    assert private[2]["payee_legal_name"] == "Alice Doe" and private[0]["payee_legal_name"] == ""
    text = journal(found, {alice: "Alice"}, title="Rootwork")
    assert "expenses:distributions:Alice  300.00 EUR" in text and "1.005 KWD" in text


@settings(max_examples=40, deadline=None)
@given(st.lists(movement, max_size=20), st.data())
def test_the_fold_goes_on_from_where_it_stopped_and_any_prefix_is_the_fold_of_that_prefix(moves, data):
    logged = [entry(i, kind, unit.to_string(minor), unit, day.isoformat()) for i, (kind, minor, unit, day)
              in enumerate(moves)]
    if moves:  # a reversal of some entry, so the fold's memory of earlier entries is exercised
        kind, minor, unit, _ = moves[0]
        logged.append(entry("r", kind, unit.to_string(minor), unit, TODAY.isoformat(), corrects=f"{COOP}/books/0"))
    cut = data.draw(st.integers(0, len(logged)))
    resumed = Ledger(COOP)
    for idx, activity in enumerate(logged[:cut]):
        resumed.add(idx, activity)
    for idx, activity in enumerate(logged[cut:], start=cut):
        resumed.add(idx, activity)
    assert resumed.found == fold(logged)
    size = data.draw(st.integers(0, len(logged)))
    assert resumed.before(size) == fold(logged[:size])
