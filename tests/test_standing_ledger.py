"""Reading a pool's facts from log activities: what counts, what does not, in any order."""

import random

import pytest

from fedcommons.errors import NotFound
from fedcommons.standing import build_ledger, contributions, pool_method, stewards
from fedcommons.standing.clock import micros_of
from fedcommons.standing.ledger import PoolLedger
from fedcommons.standing.view import PENDING, REJECTED, VALIDATED, resolve
from support_standing import (
    NODE,
    OTHER_POOL,
    POOL,
    accept,
    at,
    contribution,
    contribution_url,
    like,
    person,
    pool_create,
    pool_update,
    undo,
    when,
)

ALICE, BOB, CAROL = person("alice"), person("bob"), person("carol")
STEWARD, SECOND = person("steward"), person("second")


def statuses(activities, day=100):
    """{contribution id: status name} as of ``day``."""
    ledger = build_ledger(activities, POOL)
    return {c.id.rsplit("/", 1)[-1]: c.status for c in contributions(ledger, when(day))}


def live_endorsements(activities, day=100):
    """Sorted (endorser, contribution id, weight) of endorsements that count."""
    ledger = build_ledger(activities, POOL)
    view = resolve(ledger, micros_of(when(day)))
    names = view.names
    return sorted(
        (names[e], names[view.contribution[r]].rsplit("/", 1)[-1], int(w))
        for e, r, w in zip(view.endorser, view.endorsed, view.weight)
    )


# -- contributions --------------------------------------------------------------------


def test_contribution_fields_are_read():
    ledger = build_ledger([pool_create([STEWARD]), contribution("c1", ALICE, minutes=150, kind="docs", day=3)],
                          POOL)
    [found] = contributions(ledger, when(10))
    assert (found.id, found.contributor, found.kind, found.minutes, found.published, found.status) == (
        contribution_url("c1"), ALICE, "docs", 150.0, "2024-01-04T00:00:00Z", "pending")


@pytest.mark.parametrize(("value", "unit", "minutes"), [
    (2, "hour", 120.0), ("2.5", "hour", 150.0), (0.1, "hour", 6.0), (45, "minute", 45.0),
    ("30", "minute", 30.0), (0, "minute", 0.0), (168, "hour", 10080.0),
])
def test_effort_units_and_spellings(value, unit, minutes):
    ledger = build_ledger([contribution("c", ALICE, minutes=value, unit=unit)], POOL)
    assert [c.minutes for c in contributions(ledger, when(10))] == [minutes]


@pytest.mark.parametrize(("value", "unit"), [
    (-5, "minute"), ("-1", "hour"), ("1e3", "minute"), (True, "minute"), (None, "minute"),
    (60, "second"), (169, "hour"), (float("nan"), "minute"), ("2,5", "hour"),
])
def test_unreadable_or_absurd_effort_counts_for_nothing(value, unit):
    ledger = build_ledger([contribution("c", ALICE, minutes=value, unit=unit)], POOL)
    assert contributions(ledger, when(10)) == []


def test_missing_effort_is_zero_minutes():
    activity = contribution("c", ALICE)
    del activity["object"]["effortQuantity"]
    ledger = build_ledger([activity], POOL)
    assert [c.minutes for c in contributions(ledger, when(10))] == [0.0]


def test_who_may_create_a_contribution():
    by_pool = contribution("claim", BOB, actor=POOL)  # a claim the pool read from a Note
    by_other = contribution("forged", BOB, actor=CAROL)
    disagree = contribution("split", ALICE)
    disagree["object"]["attributedTo"] = BOB
    only_attributed = contribution("attr", ALICE)
    del only_attributed["object"]["provider"]
    elsewhere = contribution("other", ALICE, pool=OTHER_POOL)
    not_work = contribution("consume", ALICE)
    not_work["object"]["action"] = "consume"
    bad_time = contribution("when", ALICE)
    bad_time["object"]["published"] = "yesterday"
    found = statuses([by_pool, by_other, disagree, only_attributed, elsewhere, not_work, bad_time])
    assert sorted(found) == ["attr", "claim"]


def test_contribution_time_falls_back_to_the_activity():
    activity = contribution("c", ALICE, day=5)
    del activity["object"]["published"]
    ledger = build_ledger([activity], POOL)
    assert [c.published for c in contributions(ledger, when(10))] == ["2024-01-06T00:00:00Z"]


def test_conflicting_versions_of_one_contribution_resolve_to_the_earliest_in_any_order():
    first = contribution("c", ALICE, minutes=30, day=1)
    replay = contribution("c", ALICE, minutes=600, day=2)
    same_time = contribution("c", ALICE, minutes=20, day=1, kind="zz")
    for order in ([first, replay, same_time], [same_time, replay, first], [replay, same_time, first]):
        ledger = build_ledger(order, POOL)
        [found] = contributions(ledger, when(10))
        assert (found.minutes, found.kind) == (30.0, "code")


def test_cut_off_hides_later_contributions():
    ledger = build_ledger([contribution("early", ALICE, day=1), contribution("late", ALICE, day=20)], POOL)
    assert [c.id for c in contributions(ledger, when(10))] == [contribution_url("early")]


# -- validations ----------------------------------------------------------------------


def test_steward_accept_and_reject():
    found = statuses([
        pool_create([STEWARD]), contribution("a", ALICE), contribution("b", ALICE), contribution("c", ALICE),
        accept("a", STEWARD), accept("b", STEWARD, reject=True),
    ])
    assert found == {"a": "validated", "b": "rejected", "c": "pending"}


def test_self_validation_counts_for_nothing():
    found = statuses([pool_create([STEWARD, ALICE]), contribution("mine", ALICE), accept("mine", ALICE)])
    assert found == {"mine": "pending"}


def test_non_steward_validation_counts_for_nothing():
    found = statuses([pool_create([STEWARD]), contribution("c", ALICE), accept("c", BOB)])
    assert found == {"c": "pending"}


def test_validation_needs_the_pool_to_exist():
    found = statuses([contribution("c", ALICE), accept("c", STEWARD)])
    assert found == {"c": "pending"}


def test_accept_before_create_in_the_log_still_counts():
    assert statuses([accept("c", STEWARD), contribution("c", ALICE), pool_create([STEWARD])]) == {"c": "validated"}


def test_latest_decision_wins_whatever_the_order():
    acts = [pool_create([STEWARD, SECOND]), contribution("c", ALICE),
            accept("c", STEWARD, day=2), accept("c", SECOND, day=3, reject=True), accept("c", STEWARD, day=4)]
    for _ in range(6):
        random.Random(_).shuffle(acts)
        assert statuses(acts) == {"c": "validated"}
    assert statuses(acts, day=3.5) == {"c": "rejected"}
    assert statuses(acts, day=2.5) == {"c": "validated"}
    assert statuses(acts, day=1.5) == {"c": "pending"}


def test_at_equal_times_reject_beats_accept():
    acts = [pool_create([STEWARD, SECOND]), contribution("c", ALICE),
            accept("c", STEWARD, day=2), accept("c", SECOND, day=2, reject=True)]
    assert statuses(acts) == statuses(acts[::-1]) == {"c": "rejected"}


def test_steward_changes_take_effect_at_their_time():
    acts = [
        pool_create([STEWARD]), contribution("before", ALICE), contribution("after", ALICE),
        pool_update(STEWARD, day=5, stewards=[SECOND]),
        accept("before", STEWARD, day=4), accept("after", STEWARD, day=6),
        contribution("handover", BOB), accept("handover", SECOND, day=5),
    ]
    assert statuses(acts) == {"before": "validated", "after": "pending", "handover": "validated"}


def test_update_by_a_non_steward_counts_for_nothing():
    acts = [pool_create([STEWARD]), pool_update(BOB, day=1, stewards=[BOB]),
            contribution("c", ALICE), accept("c", BOB, day=3)]
    assert statuses(acts) == {"c": "pending"}
    assert stewards(build_ledger(acts, POOL), when(5)) == (STEWARD,)


def test_accept_of_a_follow_is_ignored():
    follow_accept = {"type": "Accept", "actor": STEWARD, "published": at(2),
                     "object": {"type": "Follow", "id": f"{NODE}/follows/1", "actor": BOB, "object": POOL}}
    ledger = build_ledger([pool_create([STEWARD]), follow_accept], POOL)
    assert ledger.counts["validations"] == 0


# -- endorsements ---------------------------------------------------------------------


def base_pool():
    return [pool_create([STEWARD]), contribution("a", ALICE), contribution("b", BOB),
            accept("a", STEWARD), accept("b", STEWARD)]


def test_like_counts_once_per_endorser_and_contribution():
    acts = base_pool() + [like("a", BOB, day=3), like("a", BOB, day=4, weight=2), like("a", BOB, day=3)]
    assert live_endorsements(acts) == [(BOB, "a", 2_000_000)]


def test_like_before_its_contribution_in_the_log_counts():
    acts = base_pool()
    assert live_endorsements([like("a", BOB)] + acts) == [(BOB, "a", 1_000_000)]


def test_self_endorsement_and_unvalidated_targets_count_for_nothing():
    acts = base_pool() + [contribution("p", CAROL), like("a", ALICE), like("p", BOB), like("missing", BOB)]
    assert live_endorsements(acts) == []


@pytest.mark.parametrize(("weight", "units"), [(0.5, 500_000), ("3", 3_000_000), (10, 10_000_000),
                                               (0.0000004, None), (0, None), (-1, None), (10.5, None),
                                               ("heavy", None), (True, None)])
def test_like_weight_range(weight, units):
    found = live_endorsements(base_pool() + [like("a", BOB, weight=weight)])
    assert found == ([(BOB, "a", units)] if units else [])


@pytest.mark.parametrize("embed", [True, False])
def test_undo_removes_a_like(embed):
    liked = like("a", BOB)
    assert live_endorsements(base_pool() + [liked, undo(liked, embed=embed)]) == []
    assert live_endorsements([undo(liked, embed=embed)] + base_pool() + [liked]) == []
    assert live_endorsements(base_pool() + [liked, undo(liked, embed=embed, day=50)], day=40) != []


def test_undo_by_someone_else_counts_for_nothing():
    liked = like("a", BOB)
    assert live_endorsements(base_pool() + [liked, undo(liked, actor=CAROL)]) == [(BOB, "a", 1_000_000)]


def test_undo_of_an_id_less_like_removes_earlier_likes_only():
    earlier = like("a", BOB, day=3)
    later = like("a", BOB, day=9, weight=2)
    anonymous = {"type": "Undo", "actor": BOB, "published": at(5),
                 "object": {"type": "Like", "actor": BOB, "object": contribution_url("a")}}
    assert live_endorsements(base_pool() + [earlier, anonymous]) == []
    assert live_endorsements(base_pool() + [earlier, anonymous, later]) == [(BOB, "a", 2_000_000)]


# -- the pool's own entries -----------------------------------------------------------


def test_pool_method_follows_steward_updates():
    create = pool_create([STEWARD], method={"method": "effort/1", "parameters": {"halfLifeDays": 90}})
    good = pool_update(STEWARD, day=5, method={"method": "peer-rank/1", "parameters": {"alpha": 0.5}})
    ignored = pool_update(BOB, day=6, method={"method": "effort/1", "parameters": {}})
    broken = pool_update(STEWARD, day=7, method={"method": "effort/9", "parameters": {}})
    ledger = build_ledger([broken, ignored, good, create], POOL)
    assert pool_method(ledger, when(1)) == ("effort/1", {
        "kindWeights": {}, "defaultWeight": 1, "halfLifeDays": 90, "periodStart": None, "periodEnd": None})
    method, params = pool_method(ledger, when(10))
    assert (method, params["alpha"], params["maxIterations"]) == ("peer-rank/1", 0.5, 1000)
    with pytest.raises(NotFound):
        pool_method(ledger, when(-1))


def test_pool_without_a_method_uses_effort_defaults_and_null_resets():
    acts = [pool_create([STEWARD]), pool_update(STEWARD, day=2, method={"method": "peer-rank/1"})]
    reset = pool_update(STEWARD, day=3)
    reset["object"]["standingMethod"] = None
    ledger = build_ledger(acts + [reset], POOL)
    assert pool_method(ledger, when(1))[0] == "effort/1"
    assert pool_method(ledger, when(2))[0] == "peer-rank/1"
    assert pool_method(ledger, when(4)) == pool_method(ledger, when(1))


def test_stewards_over_time_and_first_create_wins():
    hijack = pool_create([BOB], day=3, actor=BOB)
    acts = [pool_update(STEWARD, day=2, stewards=[STEWARD, SECOND]), hijack, pool_create([STEWARD], day=1),
            pool_update(STEWARD, day=4, stewards=[])]
    ledger = build_ledger(acts, POOL)
    assert stewards(ledger, when(0)) == ()
    assert stewards(ledger, when(1)) == (STEWARD,)
    assert stewards(ledger, when(10)) == tuple(sorted([STEWARD, SECOND]))


def test_pool_records_are_copies():
    create = pool_create([STEWARD])
    ledger = PoolLedger(POOL)
    ledger.add(create)
    create["object"]["stewards"].append(BOB)
    assert stewards(ledger, when(1)) == (STEWARD,)


def test_contributions_of_one_contributor_and_status_codes():
    acts = base_pool() + [contribution("a2", ALICE, day=2), accept("a2", STEWARD, reject=True, day=3)]
    ledger = build_ledger(acts, POOL)
    mine = contributions(ledger, when(10), ALICE)
    assert [(c.id.rsplit("/", 1)[-1], c.status) for c in mine] == [("a", "validated"), ("a2", "rejected")]
    assert contributions(ledger, when(10), "https://nobody.example/x") == []
    view = resolve(ledger, micros_of(when(10)))
    assert set(view.status.tolist()) == {VALIDATED, REJECTED}
    assert PENDING not in view.status.tolist()


def test_streams_a_generator_and_ignores_junk():
    def stream():
        yield from base_pool()
        yield from ([], "x", {"type": 5}, {"type": ["Like", "Extra"]}, {"type": "Delete", "object": "a"},
                    {"type": "Create", "object": "not a dict"}, {"type": ["Custom", "Accept"], "actor": STEWARD,
                                                                  "object": contribution_url("a"), "published": at(9)})
    ledger = build_ledger(stream(), POOL)
    assert ledger.counts["seen"] == len(base_pool()) + 7
    assert ledger.counts["validations"] == 3


def test_columns_are_cached_until_a_row_is_added():
    ledger = build_ledger(base_pool(), POOL)
    first = ledger.columns()
    assert ledger.columns() is first
    ledger.add({"type": "Delete"})
    assert ledger.columns() is first
    ledger.add(like("a", BOB))
    assert ledger.columns() is not first


def test_remembered_timestamps_read_as_parse_micros_does(monkeypatch):
    from fedcommons.standing import ledger as ledger_module
    from fedcommons.standing.clock import parse_micros

    monkeypatch.setattr(ledger_module, "_TIMES_KEPT", 3)  # evictions too, not only hits
    pool = "https://n.example/pools/p"
    rng = random.Random(7)
    stamps = ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.5+02:00", "2024-02-30T00:00:00Z", "2024-01-01T10:00:00",
              "not a time", 5, None, "2023-12-31T23:59:59.1234567Z"]
    published = [rng.choice(stamps) for _ in range(300)]
    ledger = PoolLedger(pool)
    for i, stamp in enumerate(published):
        ledger.add({"type": "Like", "id": f"https://n.example/likes/{i}", "actor": "https://n.example/users/a",
                    "object": "https://n.example/c/1", "published": stamp})
    expected = [parse_micros(w) for w in published]
    assert ledger.columns().like_published.tolist() == [m for m in expected if m is not None]
    assert len(ledger._times) <= 3


def test_a_ledger_is_freed_when_its_last_reference_goes():
    """No reference cycle: a busy pool's ledger (megabytes of arrays) goes at once, not at
    the cyclic collector's next full pass, which a long import holds back."""
    import gc
    import weakref

    ledger = PoolLedger(POOL).extend([pool_create([STEWARD]), contribution("c1", ALICE), accept("c1", STEWARD),
                                      like("c1", BOB)])
    assert ledger.counts["contributions"] == 1
    gone = weakref.ref(ledger)
    gc.disable()
    try:
        del ledger
        assert gone() is None
    finally:
        gc.enable()
