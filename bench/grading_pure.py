"""Benchmark: the pure grading path, assessment in, grade and reasons out, on one core.

What is measured: ``thriives.domain.assessment.evaluate`` (checking the submission against
the policy, applying the answers' effects, grading, comparing with the chosen grade) on a
deterministic mix of assessments built from the bundled policy: every category, random
answers to the applicable question sets, random indicators, levels and call states.

Against what, in the same run: the issue's targets (at least 5,000 assessments a second,
p99 at most 2 ms) and, as a floor for comparison, the cost of only building the inputs
(so the figure is of the decision, not of the harness). The process is pinned to one CPU
where the platform allows it.

Run: ``uv run python bench/grading_pure.py [--count N]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable

from thriives.domain.assessment import AdviceRecord, CallFacts, Rating, Submission, advice_due, evaluate
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.indicators import CALL_STATES, INDICATORS
from thriives.policy.loading import load_assessment_policy, load_category_policy

TARGET_RATE = 5_000
TARGET_P99_MS = 2.0


def make_cases(
    policy: AssessmentPolicy, categories: list[str], qualifiers: list[str], count: int, seed: int
) -> list[tuple[Submission, CallFacts]]:
    rng = random.Random(seed)
    model = policy.models[policy.default_model]
    cases = []
    for _ in range(count):
        category = rng.choice(categories)
        chosen = frozenset(rng.sample(qualifiers, rng.randint(0, 2)))
        facts = CallFacts(category, chosen, rng.choice(["999", "101", "online"]), rng.random() < 0.1)
        answers = {}
        for qset in policy.question_sets.values():
            if qset.applies(category, chosen):
                for question in qset.questions:
                    if rng.random() < 0.7:
                        answers[question.id] = rng.choice(question.answers)
        submission = Submission(
            model=model.code,
            ratings={
                f.code: Rating(rng.choice(policy.levels), "rationale recorded by the handler")
                for f in model.factors
            },
            answers=answers,
            indicators=frozenset(rng.sample(sorted(INDICATORS), rng.randint(0, 3))),
            call_states=frozenset(rng.sample(sorted(CALL_STATES), rng.randint(0, 1))),
            advice={code: AdviceRecord(True) for code in advice_due(facts, policy)},
        )
        cases.append((submission, facts))
    return cases


def timed(function: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="assessments to grade")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    categories_policy = load_category_policy()
    policy = load_assessment_policy(categories=categories_policy)
    cases = make_cases(
        policy,
        sorted(categories_policy.categories),
        sorted(categories_policy.qualifiers),
        args.count,
        args.seed,
    )
    for submission, facts in cases[:500]:  # warm up
        evaluate(submission, facts, policy)
    latencies = []
    grades: dict[str, int] = {}
    start = time.perf_counter()
    for submission, facts in cases:
        t0 = time.perf_counter()
        result = evaluate(submission, facts, policy)
        latencies.append(time.perf_counter() - t0)
        grades[result.final_grade] = grades.get(result.final_grade, 0) + 1
    elapsed = time.perf_counter() - start
    rate = len(cases) / elapsed
    cuts = statistics.quantiles(latencies, n=100)
    p50, p99 = cuts[49] * 1000, cuts[98] * 1000
    floor = timed(
        lambda: make_cases(
            policy, sorted(categories_policy.categories), sorted(categories_policy.qualifiers), 1000, 99
        ),
        3,
    )
    build_per = min(floor) / 1000 * 1000
    print(f"pure grading, one core, {len(cases):,} assessments from policy {policy.version}")
    print(f"  grades given: {dict(sorted(grades.items()))}")
    print(
        f"  rate      {rate:10,.0f} /s   target >= {TARGET_RATE:,}   "
        f"{'PASS' if rate >= TARGET_RATE else 'FAIL'}"
    )
    print(f"  p50       {p50:10.3f} ms")
    print(
        f"  p99       {p99:10.3f} ms   target <= {TARGET_P99_MS}     "
        f"{'PASS' if p99 <= TARGET_P99_MS else 'FAIL'}"
    )
    print(
        f"  for comparison: building one input costs {build_per:.3f} ms "
        f"(grading is {cuts[49] * 1000 / build_per:.2f}x that at the median)"
    )


if __name__ == "__main__":
    main()
