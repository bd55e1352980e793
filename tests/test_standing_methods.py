"""The standing methods: effort/1 and peer-rank/1, their parameters, and their guarantees."""

import math
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedcommons.errors import BadInput
from fedcommons.standing import DEFAULTS, METHODS, build_ledger, compute_standing, validate_parameters
from fedcommons.standing.clock import micros_of
from fedcommons.standing.parameters import read_parameters
from fedcommons.standing.peerrank import peer_rank_scores
from fedcommons.standing.view import resolve
from support_standing import (
    POOL,
    accept,
    contribution,
    like,
    person,
    pool_create,
    undo,
    when,
)

ALICE, BOB, CAROL, DAVE = person("alice"), person("bob"), person("carol"), person("dave")
STEWARD, SECOND = person("steward"), person("second")
BOTH = sorted(METHODS)


def standing(activities, method="effort/1", parameters=None, day=100):
    """compute_standing over ``activities`` as of ``day``."""
    return compute_standing(build_ledger(activities, POOL), method, parameters, when(day))


def scores(result):
    """{contributor: Decimal score}."""
    return {row.contributor: Decimal(row.score) for row in result.rows}


def validated(cid, who, minutes=60, day=1, kind="code", steward=STEWARD):
    """A contribution and a steward's Accept of it."""
    return [contribution(cid, who, minutes=minutes, day=day, kind=kind), accept(cid, steward, day=day + 0.5)]


# -- effort/1 -------------------------------------------------------------------------


def test_effort_sums_weighted_hours():
    acts = [pool_create([STEWARD]), *validated("a1", ALICE, 150), *validated("a2", ALICE, 60, kind="docs"),
            *validated("b1", BOB, 30, kind="care"), contribution("pending", BOB, minutes=600)]
    result = standing(acts, parameters={"kindWeights": {"docs": 2, "care": 0.5}})
    assert [(r.contributor, r.score, r.share) for r in result.rows] == [
        (ALICE, "4.500000", "0.947368421"), (BOB, "0.250000", "0.052631579")]
    assert result.iterations is None


def test_default_weight_applies_to_unlisted_kinds():
    acts = [pool_create([STEWARD]), *validated("a", ALICE, 60, kind="code"), *validated("b", BOB, 60, kind="art")]
    result = standing(acts, parameters={"kindWeights": {"code": 3}, "defaultWeight": 0})
    assert scores(result) == {ALICE: Decimal(3)}


def test_half_life_halves_value_per_half_life():
    acts = [pool_create([STEWARD]), *validated("old", ALICE, 120, day=0), *validated("new", BOB, 120, day=10)]
    result = standing(acts, parameters={"halfLifeDays": 10}, day=20)
    assert scores(result) == {ALICE: Decimal("0.5"), BOB: Decimal(1)}


def test_period_is_half_open_and_ages_to_its_end():
    acts = [pool_create([STEWARD]), *validated("before", ALICE, 60, day=0), *validated("in", BOB, 60, day=10),
            *validated("edge", CAROL, 60, day=20)]
    params = {"periodStart": "2024-01-06", "periodEnd": "2024-01-21", "halfLifeDays": 10}
    result = standing(acts, parameters=params, day=90)
    assert scores(result) == {BOB: Decimal("0.5")}  # aged from day 10 to day 20, not to day 90
    assert result.parameters["periodEnd"] == "2024-01-21"


def test_nobody_validated_means_no_rows():
    acts = [pool_create([STEWARD]), contribution("a", ALICE), accept("a", ALICE), accept("a", BOB)]
    for method in BOTH:
        assert standing(acts, method).rows == ()
    assert standing([], "peer-rank/1").rows == ()


def test_zero_effort_validated_contributions_mint_nothing():
    acts = [pool_create([STEWARD]), *validated("a", ALICE, 0)]
    for method in BOTH:
        assert standing(acts, method).rows == ()


@pytest.mark.parametrize("method", BOTH)
def test_self_validation_and_non_steward_validation_count_for_nothing(method):
    acts = [pool_create([STEWARD, ALICE]), *validated("b", BOB), contribution("a", ALICE), accept("a", ALICE),
            contribution("c", CAROL), accept("c", DAVE)]
    assert [r.contributor for r in standing(acts, method).rows] == [BOB]


# -- peer-rank/1 ----------------------------------------------------------------------


def legit_pool():
    return [pool_create([STEWARD]), *validated("a", ALICE, 240), *validated("b", BOB, 120),
            *validated("c", CAROL, 60)]


def test_peer_rank_without_endorsements_equals_effort():
    acts = legit_pool()
    effort = standing(acts, "effort/1", {"halfLifeDays": 30})
    ranked = standing(acts, "peer-rank/1", {"halfLifeDays": 30})
    assert [r.contributor for r in ranked.rows] == [r.contributor for r in effort.rows]
    for a, b in zip(ranked.rows, effort.rows):
        assert math.isclose(float(a.score), float(b.score), rel_tol=1e-9)


def test_endorsement_moves_standing_to_the_endorsed_and_conserves_the_total():
    before = scores(standing(legit_pool(), "peer-rank/1"))
    after = scores(standing(legit_pool() + [like("c", ALICE)], "peer-rank/1"))
    assert after[CAROL] > before[CAROL]
    assert after[ALICE] < before[ALICE]
    assert after[BOB] == before[BOB]
    assert abs(sum(after.values()) - sum(before.values())) <= Decimal("0.000003")


def test_peer_rank_matches_the_closed_form_for_one_endorsement():
    # Two contributors with one hour each; Alice endorses Bob. Solve the documented
    # fixed point P = alpha(1-alpha) seed + alpha² T^T P by hand and compare.
    alpha, share = 0.8, 0.25
    acts = [pool_create([STEWARD]), *validated("a", ALICE, 60), *validated("b", BOB, 60), like("b", ALICE)]
    result = standing(acts, "peer-rank/1", {"alpha": alpha, "endorsementShare": share})
    restart, follow = alpha * (1 - alpha), alpha**2
    p_alice = (restart / 2) / (1 - follow * (1 - share))
    p_bob = (restart / 2 + follow * share * p_alice) / (1 - follow)
    expected = {ALICE: 2 * p_alice / (p_alice + p_bob), BOB: 2 * p_bob / (p_alice + p_bob)}
    for who, score in scores(result).items():
        assert abs(float(score) - expected[who]) < 1e-6


def test_endorsement_strength_follows_the_endorsers_standing():
    # Alice (4 h) and Carol (1 h) each endorse one of Bob's and Dave's equal contributions.
    acts = [pool_create([STEWARD]), *validated("a", ALICE, 240), *validated("c", CAROL, 60),
            *validated("b", BOB, 60), *validated("d", DAVE, 60), like("b", ALICE), like("d", CAROL)]
    result = scores(standing(acts, "peer-rank/1"))
    assert result[BOB] > result[DAVE]


def test_endorsement_weights_split_the_endorsers_flow():
    acts = [pool_create([STEWARD]), *validated("a", ALICE, 240), *validated("b", BOB, 60),
            *validated("d", DAVE, 60), like("b", ALICE, weight=3), like("d", ALICE, weight=1)]
    result = scores(standing(acts, "peer-rank/1"))
    assert result[BOB] > result[DAVE]
    heavier = scores(standing(acts[:-2] + [like("b", ALICE, weight=1), like("d", ALICE, weight=1)], "peer-rank/1"))
    assert heavier[BOB] == heavier[DAVE] < result[BOB]


def test_endorsing_an_unvalidated_contribution_moves_nothing():
    acts = legit_pool() + [contribution("p", DAVE)]
    assert standing(acts + [like("p", ALICE)], "peer-rank/1") == standing(acts, "peer-rank/1")


def test_self_endorsement_changes_nothing():
    base = legit_pool()
    for method in BOTH:
        assert standing(base + [like("a", ALICE, weight=10)], method) == standing(base, method)


def test_undo_of_a_like_restores_the_result():
    liked = like("c", ALICE)
    assert standing(legit_pool() + [liked, undo(liked)], "peer-rank/1") == standing(legit_pool(), "peer-rank/1")


def test_sybil_ring_gains_nothing():
    ring = [person(f"sybil{i}") for i in range(30)]
    acts = legit_pool() + [like("b", ALICE)]
    attack = []
    for i, member in enumerate(ring):
        attack.append(contribution(f"s{i}", member, minutes=600))
        attack.append(accept(f"s{i}", ring[(i + 1) % len(ring)]))  # not stewards
        attack.append(accept(f"s{i}", member))
        for j in range(len(ring)):
            if j != i:
                attack.append(like(f"s{j}", member, weight=10))
        attack.append(like("c", member, weight=10))  # boost a legit contributor they favour
    for method in BOTH:
        clean = standing(acts, method)
        attacked = standing(acts + attack, method)
        assert attacked == clean
        assert not {r.contributor for r in attacked.rows} & set(ring)


def test_peer_rank_reports_iterations_and_respects_max_iterations():
    acts = legit_pool() + [like("c", ALICE), like("a", BOB)]
    converged = standing(acts, "peer-rank/1")
    capped = standing(acts, "peer-rank/1", {"maxIterations": 2})
    assert 2 < converged.iterations < 1000
    assert capped.iterations == 2
    assert scores(capped) != scores(converged)


# -- parameters -----------------------------------------------------------------------


def test_unknown_method_is_bad_input():
    with pytest.raises(BadInput, match="effort/9"):
        standing(legit_pool(), "effort/9")
    with pytest.raises(BadInput):
        validate_parameters(None, {})


@pytest.mark.parametrize(("method", "parameters", "named"), [
    ("effort/1", {"halfLifeDays": 0}, "halfLifeDays"),
    ("effort/1", {"halfLifeDays": "30"}, "halfLifeDays"),
    ("effort/1", {"halfLifeDays": True}, "halfLifeDays"),
    ("effort/1", {"kindWeights": {"code": -1}}, "kindWeights.code"),
    ("effort/1", {"kindWeights": [1]}, "kindWeights"),
    ("effort/1", {"defaultWeight": float("inf")}, "defaultWeight"),
    ("effort/1", {"periodStart": "last week"}, "periodStart"),
    ("effort/1", {"periodStart": "2024-02-01", "periodEnd": "2024-01-01"}, "periodEnd"),
    ("effort/1", {"alpha": 0.5}, "alpha"),
    ("effort/1", {"bogus": 1}, "bogus"),
    ("peer-rank/1", {"alpha": 1}, "alpha"),
    ("peer-rank/1", {"alpha": 0}, "alpha"),
    ("peer-rank/1", {"endorsementShare": 1.5}, "endorsementShare"),
    ("peer-rank/1", {"tolerance": 0}, "tolerance"),
    ("peer-rank/1", {"maxIterations": 1.5}, "maxIterations"),
    ("peer-rank/1", {"maxIterations": 0}, "maxIterations"),
])
def test_bad_parameters_are_bad_input_naming_the_parameter(method, parameters, named):
    with pytest.raises(BadInput, match=f"'{named}'"):
        standing(legit_pool(), method, parameters)


def test_parameters_must_be_an_object():
    with pytest.raises(BadInput, match="JSON object"):
        standing(legit_pool(), "effort/1", [("halfLifeDays", 3)])


def test_parameters_are_normalised_with_defaults():
    params = validate_parameters("effort/1", {"periodStart": "2024-01-01T00:00:00+02:00"})
    assert params == {**DEFAULTS["effort/1"], "periodStart": "2023-12-31T22:00:00Z"}
    assert validate_parameters("peer-rank/1", None) == DEFAULTS["peer-rank/1"]
    assert set(DEFAULTS["peer-rank/1"]) > set(DEFAULTS["effort/1"])


def test_naive_as_of_is_bad_input():
    with pytest.raises(BadInput, match="time zone"):
        compute_standing(build_ledger(legit_pool(), POOL), "effort/1", None, when(9).replace(tzinfo=None))


# -- properties -----------------------------------------------------------------------

PEOPLE = [person(f"p{i}") for i in range(6)]
STEWARDS = [PEOPLE[0], STEWARD]


@st.composite
def pools(draw):
    """A small pool with random contributions, decisions, endorsements and undos."""
    acts = [pool_create(STEWARDS)]
    count = draw(st.integers(0, 10))
    for i in range(count):
        who = draw(st.sampled_from(PEOPLE))
        acts.append(contribution(f"c{i}", who, minutes=draw(st.integers(0, 600)), day=draw(st.integers(0, 60)),
                                 kind=draw(st.sampled_from(["code", "docs", "care"]))))
        for _ in range(draw(st.integers(0, 2))):
            acts.append(accept(f"c{i}", draw(st.sampled_from(STEWARDS + PEOPLE[1:3])),
                               day=draw(st.integers(0, 70)), reject=draw(st.booleans())))
    if count:
        for _ in range(draw(st.integers(0, 12))):
            liked = like(f"c{draw(st.integers(0, count - 1))}", draw(st.sampled_from(PEOPLE)),
                         day=draw(st.integers(0, 70)), weight=draw(st.sampled_from([None, 0.5, 2, "3.25"])))
            acts.append(liked)
            if draw(st.integers(0, 4)) == 0:
                acts.append(undo(liked, day=draw(st.integers(0, 70)), embed=draw(st.booleans())))
    return acts


PARAMS = {
    "effort/1": {"halfLifeDays": 20, "kindWeights": {"care": 1.5}},
    "peer-rank/1": {"halfLifeDays": 20, "kindWeights": {"care": 1.5}, "endorsementShare": 0.3},
}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(pools(), st.randoms(use_true_random=False), st.sampled_from(BOTH))
def test_entry_order_does_not_matter(acts, rnd, method):
    shuffled = list(acts)
    rnd.shuffle(shuffled)
    assert standing(shuffled, method, PARAMS[method]) == standing(acts, method, PARAMS[method])


@FAST
@given(pools(), st.sampled_from(BOTH))
def test_shares_sum_to_exactly_one_and_rows_are_ordered(acts, method):
    result = standing(acts, method, PARAMS[method])
    if result.rows:
        assert sum(Decimal(r.share) for r in result.rows) == 1
        assert all(len(r.share.split(".")[1]) == 9 and len(r.score.split(".")[1]) == 6 for r in result.rows)
    keys = [(-Decimal(r.score), r.contributor) for r in result.rows]
    assert keys == sorted(keys)
    assert all(Decimal(r.score) > 0 for r in result.rows)


@FAST
@given(pools(), st.sampled_from(PEOPLE[1:]), st.integers(1, 600), st.integers(0, 90))
def test_a_new_validated_contribution_never_lowers_its_authors_effort(acts, who, minutes, day):
    before = scores(standing(acts, "effort/1", PARAMS["effort/1"])).get(who, Decimal(0))
    more = acts + [contribution("extra", who, minutes=minutes, day=day), accept("extra", STEWARD, day=day)]
    after = scores(standing(more, "effort/1", PARAMS["effort/1"])).get(who, Decimal(0))
    assert after >= before


@FAST
@given(pools(), st.sampled_from(PEOPLE))
def test_self_endorsements_change_nothing(acts, who):
    mine = [a["object"]["id"].rsplit("/", 1)[-1] for a in acts
            if a["type"] == "Create" and a["object"].get("provider") == who]
    extra = [like(cid, who, weight=10, day=5) for cid in mine]
    for method in BOTH:
        assert standing(acts + extra, method, PARAMS[method]) == standing(acts, method, PARAMS[method])


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10**8), st.integers(1, 10**6), st.floats(0.01, 1000))
def test_decay_is_monotone_in_age(younger_seconds, extra_seconds, half_life):
    as_of = when(5000)

    def value(age_seconds):
        day = 5000 - age_seconds / 86_400
        acts = [pool_create([STEWARD]), contribution("c", ALICE, minutes=600, day=day),
                accept("c", STEWARD, day=4999)]
        ledger = build_ledger(acts, POOL)
        result = compute_standing(ledger, "effort/1", {"halfLifeDays": half_life}, as_of)
        return scores(result).get(ALICE, Decimal(0))

    assert value(younger_seconds + extra_seconds) <= value(younger_seconds)


def test_results_are_identical_across_many_shuffles_of_a_larger_pool():
    rnd = random.Random(11)
    acts = [pool_create(STEWARDS)]
    for i in range(300):
        who = PEOPLE[rnd.randrange(len(PEOPLE))]
        acts += [contribution(f"c{i}", who, minutes=rnd.randrange(1, 500), day=rnd.randrange(60)),
                 accept(f"c{i}", STEWARD, day=rnd.randrange(60, 70), reject=rnd.random() < 0.1)]
    acts += [like(f"c{rnd.randrange(300)}", PEOPLE[rnd.randrange(6)], day=70, weight=rnd.choice([1, 2.5]))
             for _ in range(200)]
    for method in BOTH:
        expected = standing(acts, method, PARAMS[method])
        assert len(expected.rows) >= 5
        for seed in range(3):
            rnd.shuffle(acts)
            assert standing(acts, method, PARAMS[method]) == expected


def test_unrounded_peer_rank_scores_are_bit_identical_across_shuffles():
    # Rounding to six decimals hides last-bit differences; the raw floats must not have any.
    rnd = random.Random(4)
    people = [person(f"q{i}") for i in range(40)]
    acts = [pool_create([STEWARD])]
    for i in range(400):
        acts += validated(f"c{i}", rnd.choice(people), minutes=rnd.randrange(1, 500), day=rnd.randrange(60))
    acts += [like(f"c{rnd.randrange(400)}", rnd.choice(people), weight=rnd.choice([0.3, 1, 7])) for _ in range(600)]
    params = read_parameters("peer-rank/1", {"halfLifeDays": 7, "endorsementShare": 0.7})

    def raw(order):
        view = resolve(build_ledger(order, POOL), micros_of(when(100)))
        found, _ = peer_rank_scores(view, params)
        return sorted((who, score.hex()) for who, score in found.items())

    expected = raw(acts)
    for _ in range(3):
        rnd.shuffle(acts)
        assert raw(acts) == expected
