"""Benchmark: saving an assessment and grading over HTTP, against a bare insert on the same stack.

What is measured: ``POST /api/v1/incidents/{reference}/assessments`` of the real app (bearer
token; a complete THRIIVES assessment with answers to the applicable question sets, advice
records and sometimes indicators and a chosen grade), spread over 2,000 open incidents, at
32 keep-alive clients. Each request checks the assessment, runs the history check of the
caller's number, grades, stores the new version, updates the incident, and journals an
event and an audit entry in one transaction.

Against what, in the same run: the bare one-row insert endpoint of ``bare_app.py`` on the
same framework and store (the ceiling used by ``open_incidents.py``). Targets: at least half
the ceiling, p99 at most 200 ms. Afterwards: every acknowledged assessment is stored, and
the audit hash chain verifies.

Run: ``uv run python bench/save_assessments.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bare_app import PATH as BARE_PATH  # noqa: E402
from bench_stores import STORES, free_port  # noqa: E402
from harness import LoadResult, run_load, serving  # noqa: E402
from open_incidents import progress, warn_if_busy  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from thriives.adapters.db.migrate import upgrade  # noqa: E402
from thriives.adapters.db.tables import assessments  # noqa: E402
from thriives.bootstrap import Container, build  # noqa: E402
from thriives.domain.accounts import Role  # noqa: E402
from thriives.domain.assessment import CallFacts, advice_due  # noqa: E402
from thriives.domain.incidents import Channel, Contact  # noqa: E402
from thriives.services.audit import verify_audit  # noqa: E402
from thriives.settings import Settings  # noqa: E402

CATEGORIES = (
    "domestic_incident",
    "concern_for_safety",
    "missing_person",
    "mental_health",
    "crime_burglary",
    "rtc_injury",
    "asb_neighbours",
    "firearms_incident",
)
MIN_RATIO, MAX_P99_MS = 0.5, 200.0


def prepare(url: str, incidents: int, seed: int) -> tuple[Container, str, list[dict[str, Any]]]:
    """Migrate; add a handler and token; open incidents; build one request per incident."""
    container = build(Settings(database_url=url))
    upgrade(container.engine)
    now = datetime.now(UTC)
    actor_id = container.accounts.add_user(
        "bench.handler", "Bench", Role.CALL_HANDLER, "bench-password-not-secret", now
    )
    token = container.accounts.issue_token("bench.handler", "assessment bench", now)
    actor = container.accounts.token_actor(token)
    assert actor is not None and actor.user_id == actor_id
    rng = random.Random(seed)
    requests = []
    for number in range(incidents):
        category = CATEGORIES[number % len(CATEGORIES)]
        qualifiers = ("domestic",) if category == "domestic_incident" else ()
        asb = "personal" if category.startswith("asb") else None
        incident = container.incidents.open(
            actor,
            Contact(
                Channel.EMERGENCY,
                now,
                category,
                qualifiers,
                asb,
                "Caller Name",
                f"07700900{rng.randint(0, 999):03d}",
                "1 Bench Street",
                "TH1 1AA",
                account="Caller says something has happened.",
            ),
            now,
        ).incident
        facts = CallFacts(category, frozenset(qualifiers), "999")
        requests.append(
            {
                "path": f"/api/v1/incidents/{incident['reference']}/assessments",
                "body": assessment_body(rng, container, facts),
            }
        )
    return container, token, requests


def assessment_body(rng: random.Random, container: Container, facts: CallFacts) -> dict[str, Any]:
    policy = container.assessment_policy
    model = policy.models[policy.default_model]
    answers = {
        q.id: rng.choice(q.answers)
        for code, qs in policy.question_sets.items()
        if qs.applies(facts.category, facts.qualifiers)
        for q in qs.questions
    }
    return {
        "model": model.code,
        "ratings": {
            f.code: {
                "level": rng.choice(policy.levels),
                "rationale": f"{f.name}: what the caller said about it",
            }
            for f in model.factors
        },
        "answers": answers,
        "indicators": rng.sample(["concern_for_safety", "vulnerable_person", "weapon"], rng.randint(0, 1)),
        "grade": "emergency" if rng.random() < 0.2 else None,
        "advice": {code: {"given": True} for code in advice_due(facts, policy)},
    }


def row(name: str, result: LoadResult) -> str:
    return (
        f"  {name:<16}{result.rps:>9.1f}{result.percentile(50):>9.1f}"
        f"{result.percentile(95):>9.1f}{result.percentile(99):>9.1f}{result.errors_total:>8}"
    )


def bench_store(name: str, args: argparse.Namespace) -> bool:
    warn_if_busy()
    progress(f"{name}: starting a fresh store and opening {args.incidents} incidents ...")
    with STORES[name]() as store, tempfile.TemporaryDirectory() as folder:
        container, token, requests = prepare(store.url, args.incidents, args.seed)
        requests_file = Path(folder) / "requests.json"
        requests_file.write_text(json.dumps(requests))
        try:
            results = {}
            for kind, path, extra in (("bare", BARE_PATH, None), ("app", "", requests_file)):
                with serving(kind, store.url, free_port()) as server:
                    progress(f"{name}: loading {kind} ({args.clients} clients) ...")
                    results[kind] = run_load(
                        server, path or BARE_PATH, token, args.clients, args.warmup, args.duration, extra
                    )
            with container.uow() as uow:
                stored = int(
                    uow.connection.execute(select(func.count()).select_from(assessments)).scalar_one()
                )
            report = verify_audit(container.uow)
            entries, findings = report.entries, report.problems()
        finally:
            container.close()
    app, bare = results["app"], results["bare"]
    ratio = app.rps / bare.rps if bare.rps else 0.0
    verdicts = {
        f"throughput ratio >= {MIN_RATIO}": ratio >= MIN_RATIO,
        f"save-assessment p99 <= {MAX_P99_MS:.0f} ms": app.percentile(99) <= MAX_P99_MS,
        "no errors": app.errors_total == 0 and bare.errors_total == 0,
        "assessments stored == 2xx answers": stored == app.ok_total,
        "audit chain intact": not findings,
    }
    print(f"\n== {name}: {args.clients} clients, {args.duration:g} s after {args.warmup:g} s warm-up ==")
    print(f"  {'endpoint':<16}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    print(row("save assessment", app))
    print(row("bare insert", bare))
    print(f"  ratio save/bare: {ratio:.2f}")
    print(
        f"  assessments stored: {stored}; 2xx answers: {app.ok_total}; audit entries {entries}, "
        f"findings {len(findings)}"
    )
    if app.error_samples:
        print(f"  error samples: {app.error_samples[:3]}")
    for text, ok in verdicts.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return all(verdicts.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    results = [bench_store(name, args) for name in args.stores.split(",")]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
