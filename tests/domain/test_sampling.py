"""The quality-assurance sample: reproducible from its seed, stable as the pool grows, and
always meeting its policy (a share of the calls, rounded up, and a minimum per handler)."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thriives.domain.sampling import Candidate, Pick, SamplePolicy, draw, meets, score

PERIOD = "2026-11"
HANDLERS = ("alice", "bob", "carol", "dev", "erin")

pools = st.lists(
    st.builds(
        Candidate,
        reference=st.integers(0, 10_000).map(lambda n: f"CR-{n:05d}"),
        handler=st.sampled_from(HANDLERS),
    ),
    max_size=120,
    unique_by=lambda c: c.reference,
)
policies = st.builds(
    SamplePolicy,
    share=st.sampled_from([0.0001, 0.01, 0.02, 0.05, 0.25, 0.5, 1.0]),
    per_handler=st.integers(0, 6),
)
seeds = st.text(min_size=1, max_size=20)


def pool_of(count: int, handlers: tuple[str, ...] = HANDLERS) -> list[Candidate]:
    return [Candidate(f"CR-{n:05d}", handlers[n % len(handlers)]) for n in range(count)]


def references(picks: list[Pick]) -> set[str]:
    return {p.reference for p in picks}


# ---- reproducible from its seed ------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(pools, policies, seeds, st.randoms())
def test_the_same_seed_and_pool_give_the_same_picks_in_any_order(
    pool: list[Candidate], policy: SamplePolicy, seed: str, rng: random.Random
) -> None:
    first = draw(seed, PERIOD, pool, policy)
    shuffled = list(pool)
    rng.shuffle(shuffled)
    assert draw(seed, PERIOD, shuffled, policy) == first
    assert draw(seed, PERIOD, pool + pool[:5], policy) == first  # a candidate given twice counts once


def test_another_seed_or_another_month_draws_a_different_sample() -> None:
    pool = pool_of(1_000)
    policy = SamplePolicy(0.02, 3)
    drawn = {seed: references(draw(seed, PERIOD, pool, policy)) for seed in ("a", "b", "c", "2026-11-30")}
    assert len(set(map(frozenset, drawn.values()))) == len(drawn)
    assert references(draw("a", "2026-12", pool, policy)) != drawn["a"]


def test_a_score_is_a_keyed_hash_of_seed_period_and_reference_in_zero_to_one() -> None:
    values = [score("seed", PERIOD, f"CR-{n:05d}") for n in range(2_000)]
    assert all(0 <= v < 1 for v in values)
    assert score("seed", PERIOD, "CR-00001") == score("seed", PERIOD, "CR-00001")
    assert score("seed", PERIOD, "CR-00001") != score("seed2", PERIOD, "CR-00001")
    assert score("seed", PERIOD, "CR-00001") != score("seed", "2026-12", "CR-00001")
    # spread evenly: about a tenth of the scores fall in each tenth of [0, 1)
    tenths = Counter(int(v * 10) for v in values)
    assert all(140 <= tenths[t] <= 260 for t in range(10)), tenths


# ---- stable as the pool grows --------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(pools, policies, seeds, st.sampled_from((*HANDLERS, "newcomer")))
def test_adding_a_candidate_never_unpicks_one_the_share_rule_picked(
    pool: list[Candidate], policy: SamplePolicy, seed: str, handler: str
) -> None:
    newcomer = Candidate("CR-99999", handler)
    before = {p.reference: p for p in draw(seed, PERIOD, pool, policy)}
    after = {p.reference: p for p in draw(seed, PERIOD, [*pool, newcomer], policy)}
    for reference, pick in before.items():
        if pick.why == "share":
            assert after[reference] == pick  # same score, same rule
    assert {r for r, p in after.items() if p.why == "share"} - {newcomer.reference} == {
        r for r, p in before.items() if p.why == "share"
    }


@settings(max_examples=300, deadline=None)
@given(pools, policies, seeds, st.sampled_from((*HANDLERS, "newcomer")))
def test_a_newcomer_takes_at_most_one_place_and_none_if_it_is_not_picked(
    pool: list[Candidate], policy: SamplePolicy, seed: str, handler: str
) -> None:
    """The minimums cannot be met by a sample that only ever grows (every call of a handler
    with four would end up picked), so a newcomer that scores lower may take the place a
    minimum or the top-up gave another; it never takes more than one, and one left out of
    the sample changes nothing already picked."""
    newcomer = Candidate("CR-99999", handler)
    before = references(draw(seed, PERIOD, pool, policy))
    after = references(draw(seed, PERIOD, [*pool, newcomer], policy))
    lost = before - after
    assert len(lost) <= 1
    if newcomer.reference not in after:
        assert not lost


# ---- meets its policy ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(pools, policies, seeds)
def test_a_sample_always_meets_its_policy(pool: list[Candidate], policy: SamplePolicy, seed: str) -> None:
    picks = draw(seed, PERIOD, pool, policy)
    assert meets(picks, pool, policy) == []
    assert len(picks) >= math.ceil(policy.share * len(pool))
    available = Counter(c.handler for c in pool)
    got = Counter(p.handler for p in picks)
    for handler, count in available.items():
        assert got[handler] >= min(policy.per_handler, count)
    by_reference = {c.reference: c.handler for c in pool}
    assert all(by_reference[p.reference] == p.handler for p in picks)  # picks come from the pool
    assert [p.reference for p in picks] == sorted(references(picks))  # in reference order, once each


@settings(max_examples=300, deadline=None)
@given(pools, policies, seeds)
def test_each_pick_says_which_rule_picked_it_and_no_rule_picks_more_than_it_needs(
    pool: list[Candidate], policy: SamplePolicy, seed: str
) -> None:
    picks = draw(seed, PERIOD, pool, policy)
    scores = {c.reference: score(seed, PERIOD, c.reference) for c in pool}
    for pick in picks:
        assert pick.score == scores[pick.reference]
        assert pick.why in ("share", "handler_min", "share_top_up")
        assert (pick.why == "share") == (pick.score < policy.share)
    # every call scoring below the share is picked
    assert {r for r, s in scores.items() if s < policy.share} <= references(picks)
    # a handler's minimum picks only make up their shortfall, from their lowest scores
    for handler in {c.handler for c in pool}:
        mine = [p for p in picks if p.handler == handler]
        by_share = [p for p in mine if p.why == "share"]
        topping = [p for p in mine if p.why == "handler_min"]
        theirs = {c.reference for c in pool if c.handler == handler}
        assert len(topping) == max(0, min(policy.per_handler, len(theirs)) - len(by_share))
        left_out = [scores[r] for r in theirs - references(picks)]
        if topping and left_out:
            assert max(p.score for p in topping) < min(left_out)
    # the top-up only brings the whole up to the share, from the lowest scores left
    top_up = [p for p in picks if p.why == "share_top_up"]
    if top_up:
        assert len(picks) == math.ceil(policy.share * len(pool))
        unpicked = [s for r, s in scores.items() if r not in references(picks)]
        assert not unpicked or max(p.score for p in top_up) < min(unpicked)


def test_a_realistic_month_meets_the_bundled_policy_and_says_why() -> None:
    """Three handlers: one with 300 calls, one with 40, one with two (all of theirs picked)."""
    pool = [
        *(Candidate(f"CR-1{n:04d}", "alice") for n in range(300)),
        *(Candidate(f"CR-2{n:04d}", "bob") for n in range(40)),
        *(Candidate(f"CR-3{n:04d}", "carol") for n in range(2)),
    ]
    policy = SamplePolicy(0.02, 3)
    picks = draw("november", PERIOD, pool, policy)
    got = Counter(p.handler for p in picks)
    assert got["alice"] >= 3 and got["bob"] >= 3 and got["carol"] == 2
    assert len(picks) >= 7  # 2% of 342, rounded up
    assert meets(picks, pool, policy) == []


def test_the_share_is_topped_up_when_the_scores_fall_short() -> None:
    pool = pool_of(200, ("alice",))
    policy = SamplePolicy(0.5, 0)
    picks = draw("seed", PERIOD, pool, policy)
    assert len(picks) == 100
    assert Counter(p.why for p in picks)["share_top_up"] == 100 - sum(
        score("seed", PERIOD, c.reference) < 0.5 for c in pool
    )


def test_an_empty_pool_draws_nothing_and_meets_the_policy() -> None:
    assert draw("seed", PERIOD, [], SamplePolicy(0.02, 3)) == []
    assert meets([], [], SamplePolicy(0.02, 3)) == []


# ---- meets reports every shortfall ---------------------------------------------------------


def test_meets_names_a_share_shortfall_and_each_handler_short_of_their_minimum() -> None:
    pool = pool_of(300, ("alice", "bob", "carol"))
    policy = SamplePolicy(0.02, 3)
    picks = draw("seed", PERIOD, pool, policy)
    assert meets(picks, pool, policy) == []
    only_alice = [p for p in picks if p.handler == "alice"][:3]
    assert meets(only_alice, pool, policy) == [
        "3 picked of 300: below 2%",
        "bob: 0 picked, needs 3",
        "carol: 0 picked, needs 3",
    ]


def test_a_handler_with_fewer_calls_than_the_minimum_needs_all_of_theirs() -> None:
    pool = [Candidate("CR-00001", "alice"), Candidate("CR-00002", "alice"), Candidate("CR-00003", "bob")]
    policy = SamplePolicy(0.3, 3)
    assert meets([], pool, policy) == [
        "0 picked of 3: below 30%",
        "alice: 0 picked, needs 2",
        "bob: 0 picked, needs 1",
    ]
    one = [Pick("CR-00001", "alice", 0.5, "handler_min")]
    assert meets(one, pool, policy) == ["alice: 1 picked, needs 2", "bob: 0 picked, needs 1"]
    assert references(draw("seed", PERIOD, pool, policy)) == {"CR-00001", "CR-00002", "CR-00003"}


@pytest.mark.parametrize("per_handler", [0, 1, 3])
def test_no_minimum_per_handler_beyond_what_they_took(per_handler: int) -> None:
    pool = pool_of(50, ("alice", "bob"))
    picks = draw("seed", PERIOD, pool, SamplePolicy(0.0001, per_handler))
    if per_handler:
        assert Counter(p.handler for p in picks) == {"alice": per_handler, "bob": per_handler}
        assert {p.why for p in picks} == {"handler_min"}
    else:  # only the share, rounded up: one call of fifty
        assert [p.why for p in picks] == ["share_top_up"]
