"""The fc:Distribution document, its CSV, reading it back, and recomputing it from its inputs."""

import copy
import csv
import io

import pytest

from fedcommons.errors import BadInput
from fedcommons.ld.context import activity_context
from fedcommons.ld.loader import expand
from fedcommons.payout.constraints import Constraints, constraints_from_options
from fedcommons.payout.document import (
    distribution_document, distribution_input, paid_totals, payout_differences, payouts_csv,
    read_distribution, recompute, standing_input, standing_shares,
)
from fedcommons.payout.money import currency, parse_amount
from fedcommons.payout.policies import PoolStanding, compute_payouts

NODE = "https://n.example"
COOP = f"{NODE}/coops/bakery"
FC = "https://w3id.org/fedcommons#"
EUR = currency("EUR")


def person(name):
    return f"{NODE}/people/{name}"


def standing_doc(pool, rows, size=42):
    """A Standing document as the standing package writes it (unsigned, without id)."""
    return {
        "type": ["Document", "Standing"], "pool": f"{NODE}/pools/{pool}", "method": "effort-v1",
        "parameters": {}, "asOf": "2026-10-31T00:00:00Z",
        "checkpoint": {"origin": "n.example/log", "treeSize": size, "rootHash": "qMpS0ZVk8ZWfCk1WS0nDQw=="},
        "standings": [{"contributor": person(who), "score": "1.000000", "share": share} for who, share in rows],
    }


GARDEN = standing_doc("garden", [("ann", "0.500000000"), ("bo", "0.300000000"), ("cy", "0.150000000"),
                                 ("di", "0.050000000")])
WIKI = standing_doc("wiki", [("bo", "0.600000000"), ("eve", "0.400000000")], size=7)
GARDEN_URL, WIKI_URL = f"{NODE}/standing/1", f"{NODE}/standing/2"


def make(policy="immediate", amount="10000.00", unit=EUR, constraints=None, previous=(), paid=None,
         standings=((GARDEN_URL, GARDEN, "1"),), period="2026-10"):
    """Compute and build a Distribution the way the CLI does."""
    constraints = constraints or constraints_from_options(unit, floor="100", cap="3000", basic_share="0.2")
    minor = parse_amount(amount, unit)
    pools = [PoolStanding(doc["pool"], weight, standing_shares(doc)) for _, doc, weight in standings]
    result = compute_payouts(policy, pools, minor, constraints, paid=paid, unit=unit)
    inputs = [standing_input(url, doc, weight) for url, doc, weight in standings]
    inputs += [distribution_input(url) for url in previous]
    return distribution_document(COOP, minor, unit.code, unit.exponent, policy, constraints, period,
                                 inputs, result.payouts)


def test_document_shape():
    doc = make()
    assert doc["@context"] == activity_context()
    assert doc["type"] == ["Document", "Distribution"]
    assert doc["cooperative"] == COOP
    assert (doc["amount"], doc["currency"], doc["policy"], doc["period"]) == ("10000.00", "EUR", "immediate", "2026-10")
    assert doc["constraints"] == {"maxRatio": "8", "floor": "100.00", "cap": "3000.00", "basicShare": "0.2"}
    assert doc["inputs"] == [{
        "id": GARDEN_URL, "type": ["Document", "Standing"], "pool": f"{NODE}/pools/garden", "weight": "1",
        "checkpoint": {"origin": "n.example/log", "treeSize": 42, "rootHash": "qMpS0ZVk8ZWfCk1WS0nDQw=="},
    }]
    recipients = [row["recipient"] for row in doc["payouts"]]
    assert recipients == sorted(recipients) == [person(p) for p in ("ann", "bo", "cy", "di")]
    assert all(len(row["amount"].split(".")[1]) == 2 for row in doc["payouts"])
    assert sum(parse_amount(row["amount"], EUR) for row in doc["payouts"]) == 1_000_000


def test_every_term_expands_offline():
    doc = make(policy="balanced", previous=[f"{NODE}/distributions/0"])
    doc["id"] = f"{NODE}/distributions/1"
    [node] = expand(doc)
    assert {k for k in node if not k.startswith("@")} == {
        FC + term for term in ("cooperative", "amount", "currency", "policy", "constraints", "period", "input", "payout")
    }
    assert node["@type"] == ["https://www.w3.org/ns/activitystreams#Document", FC + "Distribution"]
    standing_ref = next(i for i in node[FC + "input"] if i["@id"] == GARDEN_URL)
    assert {k for k in standing_ref if not k.startswith("@")} == {FC + "pool", FC + "weight", FC + "checkpoint"}
    first = node[FC + "payout"][0]["@list"][0]
    assert set(first) == {FC + "recipient", FC + "amount"}


def test_amounts_carry_the_currency_exponent():
    jpy = make(amount="10000", unit=currency("JPY"), constraints=Constraints())
    assert jpy["amount"] == "10000" and all("." not in row["amount"] for row in jpy["payouts"])
    kwd = make(amount="100.000", unit=currency("KWD"), constraints=Constraints())
    assert kwd["amount"] == "100.000" and all(len(row["amount"].split(".")[1]) == 3 for row in kwd["payouts"])
    hours = make(amount="37.5", unit=currency("hours", 2), constraints=Constraints())
    assert (hours["amount"], hours["currency"]) == ("37.50", "hours")
    assert read_distribution(hours).unit == currency("hours", 2)


def test_csv_is_rfc4180():
    doc = make()
    text = payouts_csv(doc)
    assert text.startswith("recipient,amount,currency\r\n") and text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["recipient", "amount", "currency"]
    assert [(r["recipient"], r["amount"], "EUR") for r in doc["payouts"]] == [tuple(row) for row in rows[1:]]


def test_csv_quotes_fields_that_need_it():
    doc = distribution_document(COOP, 300, "EUR", 2, "immediate", Constraints(), None,
                                [standing_input(GARDEN_URL, GARDEN)],
                                {f"{NODE}/people/a,b": 100, f'{NODE}/people/"q"': 200})
    lines = payouts_csv(doc).split("\r\n")
    assert lines[1] == f'"{NODE}/people/""q""",2.00,EUR'
    assert lines[2] == f'"{NODE}/people/a,b",1.00,EUR'


def test_read_back_gives_the_terms():
    doc = make(standings=((GARDEN_URL, GARDEN, "3"), (WIKI_URL, WIKI, "1")))
    terms = read_distribution(doc)
    assert (terms.cooperative, terms.amount, terms.unit, terms.policy, terms.period) == \
        (COOP, 1_000_000, EUR, "immediate", "2026-10")
    assert terms.constraints == constraints_from_options(EUR, floor="100", cap="3000", basic_share="0.2")
    assert [(s.id, s.weight) for s in terms.standings] == [(GARDEN_URL, 3), (WIKI_URL, 1)]
    assert sum(terms.payouts.values()) == terms.amount


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(type=["Document"]), "not a Distribution"),
    (lambda d: d["payouts"][0].update(amount="1.00"), "add up to"),
    (lambda d: d["payouts"][0].update(amount="1.5"), "2 decimals"),
    (lambda d: d.update(amount="10000.0"), "EUR has 2 decimals"),
    (lambda d: d.update(currency="eur"), "must be written 'EUR'"),
    (lambda d: d["payouts"].append(dict(d["payouts"][0])), "paid twice"),
    (lambda d: d["payouts"][0].update(recipient="=HYPERLINK(\"x\")"), "http"),
    (lambda d: d.update(policy="lottery"), "unknown policy"),
    (lambda d: d.update(period="October"), "period"),
    (lambda d: d["constraints"].update(maxRatio="0.5"), "below 1"),
    (lambda d: d.update(inputs=[]), "at least one Standing"),
    (lambda d: d["inputs"][0]["checkpoint"].pop("rootHash"), "rootHash"),
    (lambda d: d["inputs"].append(distribution_input(f"{NODE}/d/0")), "only to the balanced policy"),
])
def test_read_refuses_broken_documents(change, message):
    doc = copy.deepcopy(make())
    change(doc)
    with pytest.raises(BadInput, match=message):
        read_distribution(doc)


def test_building_refuses_unbalanced_payouts():
    with pytest.raises(BadInput, match="add up to 2.00 EUR, not the amount 3.00 EUR"):
        distribution_document(COOP, 300, "EUR", 2, "immediate", Constraints(), None,
                              [standing_input(GARDEN_URL, GARDEN)], {person("ann"): 200})


def test_building_refuses_a_wrong_exponent_for_iso():
    with pytest.raises(BadInput, match="JPY has 0 decimals"):
        distribution_document(COOP, 300, "JPY", 2, "immediate", Constraints(), None,
                              [standing_input(GARDEN_URL, GARDEN)], {person("ann"): 300})


def test_standing_shares_reads_rows():
    assert standing_shares(WIKI) == {person("bo"): "0.600000000", person("eve"): "0.400000000"}
    twice = copy.deepcopy(WIKI)
    twice["standings"].append(twice["standings"][0])
    with pytest.raises(BadInput, match="twice"):
        standing_shares(twice)


# --- recompute -----------------------------------------------------------------------------

def test_recompute_matches_the_published_payouts():
    doc = make(standings=((GARDEN_URL, GARDEN, "3"), (WIKI_URL, WIKI, "1")))
    result = recompute(doc, {GARDEN_URL: GARDEN, WIKI_URL: WIKI})
    assert payout_differences(doc, result.payouts) == []


def test_recompute_finds_a_moved_cent():
    doc = make()
    doc["payouts"][0]["amount"] = EUR.to_string(parse_amount(doc["payouts"][0]["amount"], EUR) + 1)
    doc["payouts"][1]["amount"] = EUR.to_string(parse_amount(doc["payouts"][1]["amount"], EUR) - 1)
    differences = payout_differences(doc, recompute(doc, {GARDEN_URL: GARDEN}).payouts)
    assert len(differences) == 2
    assert differences[0].startswith(f"{person('ann')}: published ") and "recomputed" in differences[0]


def test_recompute_notices_changed_constraints():
    doc = make()
    doc["constraints"]["basicShare"] = "0.5"
    assert payout_differences(doc, recompute(doc, {GARDEN_URL: GARDEN}).payouts) != []


def test_recompute_needs_the_inputs_it_names():
    doc = make()
    with pytest.raises(BadInput, match="needed to recompute"):
        recompute(doc, {})
    moved = copy.deepcopy(GARDEN)
    moved["checkpoint"]["treeSize"] = 43
    with pytest.raises(BadInput, match="another checkpoint"):
        recompute(doc, {GARDEN_URL: moved})
    with pytest.raises(BadInput, match="standing of .*wiki"):
        recompute(doc, {GARDEN_URL: WIKI})
    with pytest.raises(BadInput, match="not a JSON object"):
        recompute(doc, {GARDEN_URL: ["not", "a", "document"]})


def test_balanced_recompute_counts_earlier_distributions():
    first = make(policy="balanced", constraints=Constraints())
    first["id"] = f"{NODE}/distributions/1"
    paid = paid_totals([first], COOP, EUR)
    second = make(policy="balanced", amount="5000.00", constraints=Constraints(), paid=paid,
                  previous=[first["id"]])
    assert payout_differences(second, recompute(second, {GARDEN_URL: GARDEN}, [first]).payouts) == []
    # Without the earlier distribution the book does not balance.
    with pytest.raises(BadInput, match="not the ones the distribution lists"):
        recompute(second, {GARDEN_URL: GARDEN}, [])


def test_paid_totals():
    one, two = make(), make(amount="20.00", constraints=Constraints())
    totals = paid_totals([one, two], COOP, EUR)
    assert sum(totals.values()) == 1_000_000 + 2_000
    assert totals[person("ann")] == read_distribution(one).payouts[person("ann")] + \
        read_distribution(two).payouts[person("ann")]
    with pytest.raises(BadInput, match="not https://n.example/coops/other"):
        paid_totals([one], f"{NODE}/coops/other", EUR)
    with pytest.raises(BadInput, match="pays in EUR, not JPY"):
        paid_totals([one], COOP, currency("JPY"))
