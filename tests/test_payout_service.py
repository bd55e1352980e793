"""Payouts end to end on one node: the split, what is written, and what is refused.

Contributions are dated in 2025 so that the periods paid for are always in the past.
"""

import json
from fractions import Fraction

import pytest

from fedcommons.home import open_node
from fedcommons.payout import read_distribution
from fedcommons.services.payouts import payouts
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.contributions.contributions import contribute, decide
from fedcommons.services.payouts.coops import create_coop, sustain
from fedcommons.services.actors.pools import create_pool
from fedcommons.sig.keys import ed25519_public_from_multibase
from fedcommons.sig.proof import verify_proof
from fedcommons.store import actors as actor_store
from fedcommons.store import coops as coop_store
from fedcommons.store import log as log_store
from fedcommons.cli.network import with_client
from support_cli import run
from support_coops import log_size

URL = "http://127.0.0.1:8080"
COOP = f"{URL}/coops/rootwork"
ALICE, DAVE, ERIN = (f"{URL}/users/{n}" for n in ("alice", "dave", "erin"))


def worked(node, pool, person, effort, day, steward="bob"):
    cid = contribute(node, pool=pool, person=person, effort=effort, kind="code", summary="work", when=day)
    decide(node, cid, steward)


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    """Garden: alice 6 h and dave 2 h in March 2025, alice 1 h and erin 3 h in April;
    carol's contribution is still pending. Wiki: erin and alice 2 h each in March.
    Rootwork (member carol) sustains Garden only."""
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    node = open_node(home)
    try:
        for name in ("alice", "bob", "carol", "dave", "erin"):
            create_actor(node, "person", name)
        create_pool(node, "garden", name="Garden", stewards=["bob"])
        create_pool(node, "wiki", name="Wiki", stewards=["bob"])
        worked(node, "garden", "alice", "6h", "2025-03-03")
        worked(node, "garden", "dave", "2h", "2025-03-20")
        worked(node, "garden", "alice", "1h", "2025-04-02")
        worked(node, "garden", "erin", "3h", "2025-04-10")
        contribute(node, pool="garden", person="carol", effort="9h", kind="code", summary="pending",
                   when="2025-03-04")
        worked(node, "wiki", "erin", "2h", "2025-03-05")
        worked(node, "wiki", "alice", "2h", "2025-03-06")
        create_coop(node, "rootwork", name="Rootwork", members=["carol"])
        with_client(node, lambda client: sustain(node, client, "rootwork", "garden", member="carol"))
    finally:
        node.close()
    return home


def pay(home, *extra, code=0, fmt="json"):
    args = ["payout", "rootwork", "--currency", "EUR", "--format", fmt, *extra]
    if "--dry-run" not in extra and "--as" not in extra:
        args += ["--as", "carol"]
    result = run(home, *args, code=code)
    return json.loads(result.stdout) if fmt == "json" and code == 0 else result


def minor(document):
    return read_distribution(document).payouts


def test_dry_run_shows_the_split_and_writes_nothing(home):
    before = log_size(home)
    out = pay(home, "--amount", "1000.00", "--policy", "immediate", "--period", "2025-03", "--dry-run",
              fmt="table").stdout
    assert f"{ALICE}    750.00   75.00 %   75.00 %" in out
    assert f"{DAVE}     250.00   25.00 %   25.00 %" in out
    assert "dry run: nothing was written" in out
    assert log_size(home) == before
    assert run(home, "payout", "list", "rootwork").stdout == ""


def test_a_payout_logs_signed_standings_and_a_distribution_that_sums_exactly(home):
    before = log_size(home)
    result = pay(home, "--amount", "1000.00", "--policy", "immediate", "--period", "2025-03",
                 "--floor", "100", "--cap", "700", "--basic-share", "0.2")
    doc = result["distribution"]
    assert result["written"] is True
    assert doc["id"].startswith(f"{COOP}/distributions/") and doc["attributedTo"] == COOP
    assert doc["type"] == ["Document", "Distribution"]
    assert doc["constraints"] == {"maxRatio": "8", "floor": "100.00", "cap": "700.00", "basicShare": "0.2"}
    # basic share: 100 each; the rest 3:1 by the March standing (erin worked in April only).
    assert minor(doc) == {ALICE: 70000, DAVE: 30000}
    assert sum(minor(doc).values()) == 100000
    node = open_node(home)
    try:
        new = list(log_store.iter_entries(node.db, before))
        assert [(e.type, e.actor) for e in new] == [("Create", f"{URL}/actor"), ("Create", COOP)]
        standing = payouts.logged_object(node, doc["inputs"][0]["id"])
        assert standing["id"].startswith(f"{COOP}/standings/")
        assert standing["parameters"]["periodStart"] == "2025-03-01"
        assert standing["parameters"]["periodEnd"] == "2025-04-01"
        assert doc["inputs"][0]["checkpoint"] == standing["checkpoint"]
        assert payouts.logged_object(node, doc["id"]) == doc
        coop = actor_store.actor(node.db, COOP)
        node_actor = actor_store.actor(node.db, f"{URL}/actor")
        assert verify_proof(doc, ed25519_public_from_multibase(coop.ed25519_multibase)).ok
        assert verify_proof(standing, ed25519_public_from_multibase(node_actor.ed25519_multibase)).ok
        created = json.loads(new[-1].body)
        assert created["cc"] == [f"{COOP}/followers", f"{URL}/pools/garden/followers"]
        assert coop_store.distribution(node.db, doc["id"]).recipients == 2
    finally:
        node.close()
    assert json.loads(run(home, "log", "verify", "--format", "json").stdout)["ok"]
    listed = json.loads(run(home, "payout", "list", "rootwork", "--format", "json").stdout)
    assert [d["id"] for d in listed] == [doc["id"]]
    csv_text = run(home, "payout", "show", doc["id"], "--format", "csv").stdout
    assert csv_text.splitlines() == ["recipient,amount,currency", f"{ALICE},700.00,EUR", f"{DAVE},300.00,EUR"]


def test_payout_verify_recomputes_a_local_distribution(home):
    doc = pay(home, "--amount", "999.99", "--policy", "immediate", "--period", "2025-03",
              "--max-ratio", "2")["distribution"]
    report = json.loads(run(home, "payout", "verify", doc["id"], "--format", "json").stdout)
    assert report["ok"] and report["problems"] == [] and report["recomputedStandings"] == 1
    assert run(home, "payout", "verify", doc["id"]).stdout.startswith("ok: 999.99 EUR to 2 recipients")


def test_the_table_names_the_constraints_that_bound(home):
    out = pay(home, "--amount", "1000.00", "--policy", "immediate", "--period", "2025-03", "--max-ratio", "2",
              "--dry-run", fmt="table").stdout
    assert "constraints that bound: ratio" in out
    rows = [line for line in out.splitlines() if line.startswith(URL)]
    assert len(rows) == 2 and all(line.endswith("ratio") for line in rows)
    amounts = {line.split()[0]: line.split()[1] for line in rows}
    assert Fraction(amounts[ALICE]) <= 2 * Fraction(amounts[DAVE])
    assert Fraction(amounts[ALICE]) + Fraction(amounts[DAVE]) == 1000


def test_infeasible_constraints_name_the_feasible_bound_and_write_nothing(home):
    before = log_size(home)
    result = pay(home, "--amount", "1000.00", "--policy", "immediate", "--period", "2025-03", "--floor", "600",
                 code=2)
    assert "too small for the floor: at least 1,200.00 EUR for 2 recipients" in result.stderr
    result = pay(home, "--amount", "1000.00", "--policy", "immediate", "--period", "2025-03", "--cap", "400",
                 code=2)
    assert "too large for the cap: at most 800.00 EUR for 2 recipients" in result.stderr
    result = pay(home, "--amount", "0.03", "--policy", "immediate", "--period", "2025-03", "--max-ratio", "1",
                 code=2)
    assert "the nearest amounts that can: 0.02 EUR or 0.04 EUR" in result.stderr
    assert log_size(home) == before


@pytest.mark.parametrize("extra, message", [
    (["--policy", "immediate"], "the immediate policy pays for a period: give --period"),
    (["--policy", "immediate", "--period", "2025-13"], "period '2025-13' must be a year, month or day"),
    (["--policy", "immediate", "--period", "2099-01"], "the period 2099-01 has not begun"),
    (["--policy", "immediate", "--period", "2024-01"], "nobody has standing in 2024-01"),
    (["--policy", "balanced", "--half-life-days", "10"], "--half-life-days goes with --policy recent"),
    (["--policy", "balanced", "--currency", "hours"], "give them explicitly"),
])
def test_bad_requests_are_refused(home, extra, message):
    result = run(home, "payout", "rootwork", "--amount", "10", "--currency", "EUR", "--as", "carol", *extra,
                 code=2)
    assert message in result.stderr


def test_only_a_member_publishes(home):
    result = pay(home, "--amount", "10", "--policy", "balanced", "--as", "alice", code=2)
    assert "alice is not a member" in result.stderr
    result = run(home, "payout", "rootwork", "--amount", "10", "--currency", "EUR", "--policy", "balanced",
                 code=2)
    assert "--as MEMBER" in result.stderr


def test_balanced_payouts_move_what_was_paid_toward_lifetime_shares(home):
    # Lifetime standing: alice 7 h, dave 2 h, erin 3 h. March paid only alice and dave.
    first = pay(home, "--amount", "1000.00", "--policy", "immediate", "--period", "2025-03",
                "--max-ratio", "none")
    shares = {ALICE: Fraction(7, 12), DAVE: Fraction(2, 12), ERIN: Fraction(3, 12)}
    paid = dict.fromkeys(shares, 0)
    distances = []
    for document in [first["distribution"]] + [
            pay(home, "--amount", "1200.00", "--policy", "balanced")["distribution"] for _ in range(2)]:
        for who, value in minor(document).items():
            paid[who] += value
        total = sum(paid.values())
        distances.append(sum(abs(paid[w] - shares[w] * total) for w in shares))
    assert distances[1] < distances[0] and distances[2] <= distances[1]
    assert distances[2] <= 3  # minor units: only rounding is left
    listed = json.loads(run(home, "payout", "list", "rootwork", "--format", "json").stdout)
    last = payouts_in_log(home, listed[0]["id"])
    earlier = [i["id"] for i in last["inputs"] if i["type"] == ["Document", "Distribution"]]
    assert sorted(earlier) == sorted(d["id"] for d in listed[1:])
    assert json.loads(run(home, "payout", "verify", last["id"], "--format", "json").stdout)["ok"]


def payouts_in_log(home, url):
    node = open_node(home)
    try:
        return payouts.logged_object(node, url)
    finally:
        node.close()


def test_recent_computes_a_decayed_standing_and_records_the_half_life(home):
    doc = pay(home, "--amount", "100.00", "--policy", "recent", "--half-life-days", "30")["distribution"]
    standing = payouts_in_log(home, doc["inputs"][0]["id"])
    assert standing["parameters"]["halfLifeDays"] == 30
    # April's work is newer, so it weighs more than its hours alone would give.
    hours = {ALICE: 7, DAVE: 2, ERIN: 3}
    paid = minor(doc)
    assert paid[ERIN] / paid[DAVE] > hours[ERIN] / hours[DAVE]
    default = pay(home, "--amount", "100.00", "--policy", "recent", "--dry-run")["distribution"]
    assert default["policy"] == "recent"
    assert json.loads(run(home, "payout", "verify", doc["id"], "--format", "json").stdout)["ok"]


def test_a_phyle_splits_between_pools_by_weight_then_by_standing(home):
    run(home, "coop", "sustain", "rootwork", "garden", "--weight", "3", "--as", "carol")
    run(home, "coop", "sustain", "rootwork", "wiki", "--weight", "1", "--as", "carol")
    doc = pay(home, "--amount", "800.00", "--policy", "immediate", "--period", "2025-03",
              "--max-ratio", "none")["distribution"]
    # Garden gets 600 (alice 3/4, dave 1/4), Wiki 200 (erin and alice half each).
    assert minor(doc) == {ALICE: 55000, DAVE: 15000, ERIN: 10000}
    assert {(i["pool"], i["weight"]) for i in doc["inputs"]} == {(f"{URL}/pools/garden", "3"),
                                                                 (f"{URL}/pools/wiki", "1")}
    assert json.loads(run(home, "payout", "verify", doc["id"], "--format", "json").stdout)["ok"]


def test_csv_format_is_for_the_bookkeeper(home):
    out = pay(home, "--amount", "1000.00", "--policy", "immediate", "--period", "2025-03", "--dry-run",
              fmt="csv").stdout_bytes
    assert out == f"recipient,amount,currency\r\n{ALICE},750.00,EUR\r\n{DAVE},250.00,EUR\r\n".encode()


def test_a_cooperative_without_pools_has_nothing_to_pay(home):
    run(home, "coop", "create", "idle", "--name", "Idle", "--member", "carol")
    result = run(home, "payout", "idle", "--amount", "10", "--currency", "EUR", "--policy", "balanced",
                 "--dry-run", code=2)
    assert "sustains no pool yet" in result.stderr


@pytest.mark.parametrize("period, bounds", [
    ("2026", ("2026-01-01", "2027-01-01")),
    ("2026-10", ("2026-10-01", "2026-11-01")),
    ("2026-12", ("2026-12-01", "2027-01-01")),
    ("2026-10-31", ("2026-10-31", "2026-11-01")),
    ("2026-01/2026-06", ("2026-01-01", "2026-07-01")),
    ("2026/2027-02", ("2026-01-01", "2027-03-01")),
])
def test_period_bounds(period, bounds):
    assert payouts.period_bounds(period) == bounds


@pytest.mark.parametrize("period", ["26", "2026-1", "2026-02-30", "2026-06/2026-01", "2026-10/", "x"])
def test_unreadable_periods_are_refused(period):
    from fedcommons.errors import BadInput

    with pytest.raises(BadInput):
        payouts.period_bounds(period)
