"""The scale bench's verdict, printed figures, JSON file, and the PostgreSQL server's memory."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intel_breakdown import Breakdown
from intel_population import Plan
from intel_stores import Prepared
from intel_threads import Run, percentile
from report import REPO, app_revision
from sqlalchemy import Engine

TARGET_P95_MS = 100.0


@dataclass(frozen=True)
class StoreResult:
    store: str
    plan: Plan
    durability: dict[str, str]
    prepared: Prepared
    db_bytes: int
    table_bytes: dict[str, int]
    search: Run
    ceilings: dict[str, Run]
    breakdown: Breakdown
    bench_peak_rss_mib: float
    server_memory: dict[str, float]
    audit_entries: int
    audit_findings: list[str]
    experiments: dict[str, dict[str, Any]]
    warmup_s: float
    load_average: tuple[float, float, float]  # before the store was started
    revision: dict[str, Any]  # the code measured: read when the bench started, checked at the end

    def verdicts(self) -> dict[str, bool]:
        return {
            f"search p95 <= {TARGET_P95_MS:.0f} ms (audit write included)": self.search.percentile(95)
            <= TARGET_P95_MS,
            "no search errors": self.search.errors_total == 0,
            "audit chain intact": not self.audit_findings,
        }

    def passed(self) -> bool:
        return all(self.verdicts().values())

    def headline(self) -> str:
        s = self.search
        return (
            f"{s.rate:.1f} searches/s, p50 {s.percentile(50):.0f} ms, p95 {s.percentile(95):.0f} ms, "
            f"p99 {s.percentile(99):.0f} ms at {s.threads} threads (target p95 <= {TARGET_P95_MS:.0f} ms)"
        )

    def by_kind(self) -> dict[str, dict[str, float]]:
        """Per kind of search: how many ran, how often the person meant came top, p95."""
        latencies: dict[str, list[float]] = defaultdict(list)
        hits: dict[str, int] = defaultdict(int)
        for (kind, top, _capped), ms in zip(self.search.outcomes, self.search.latencies_ms, strict=True):
            latencies[kind].append(ms)
            hits[kind] += top
        return {
            kind: {"searches": len(v), "top_is_meant": hits[kind] / len(v), "p95_ms": percentile(v, 95)}
            for kind, v in sorted(latencies.items())
        }

    def floor_p95(self) -> float:
        return self.ceilings["pk read"].percentile(95) + self.ceilings["1-row insert"].percentile(95)

    def top_share(self) -> float:
        outcomes = self.search.outcomes
        return sum(top for _kind, top, _capped in outcomes) / len(outcomes) if outcomes else float("nan")


def _row(name: str, run: Run) -> str:
    return (
        f"  {name:<22}{run.rate:>9.1f}{run.percentile(50):>9.1f}{run.percentile(95):>9.1f}"
        f"{run.percentile(99):>9.1f}{max(run.latencies_ms, default=float('nan')):>9.1f}{run.errors:>7}"
        f"{run.process_cpu_s / run.duration_s:>7.2f}{run.machine_busy_s / run.duration_s:>7.2f}"
    )


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def render(result: StoreResult) -> str:
    p, s = result.prepared, result.search
    origin = (
        f"reused from {p.cache} ({'copied' if result.store == 'sqlite' else 'restored'}"
        f" in {p.restore_s:.0f} s)"
        if p.reused
        else "generated and loaded this run"
    )
    if p.same_searches_as_cache is not None:
        origin += f"; same searches as the other store's build: {'yes' if p.same_searches_as_cache else 'NO'}"
    lines = [
        f"== {result.store}: {result.plan.people:,} people, {s.threads} threads, {s.duration_s:g} s "
        f"measured after {result.warmup_s:g} s warm-up ==",
        f"  app: commit {result.revision['commit'][:10] or '?'}"
        + (" + uncommitted changes in src/" if result.revision["src_uncommitted_changes"] else "")
        + f"; src/ digest {result.revision['src_digest']}"
        + (
            f" -> {result.revision['src_digest_at_end']}: WARNING, src/ CHANGED DURING THE RUN, so these "
            "figures may mix code (modules load at start, policy files when the store is opened)"
            if result.revision["src_digest_at_end"] != result.revision["src_digest"]
            else ", unchanged during the run"
        ),
        "  store settings: " + ", ".join(f"{k}={v}" for k, v in result.durability.items()),
        f"  population: built in {p.build_s:,.0f} s on {p.built_at[:10]} "
        f"(generator + BulkLoader, peak RSS of the loader {p.build_peak_rss_mib:,.0f} MiB); {origin}",
        f"  {'table':<18}{'rows':>12}{'on disk':>12}",
    ]
    lines += [
        f"  {table:<18}{p.counts[table]:>12,}{_mib(result.table_bytes.get(table, 0)):>12}"
        for table in p.counts
    ]
    lines += [
        f"  {'whole database':<18}{'':>12}{_mib(result.db_bytes):>12}",
        f"  {'operation':<22}{'per s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>7}"
        f"{'bench':>7}{'all':>7}",
        _row("search + audit write", s),
        _row("ceiling: pk read", result.ceilings["pk read"]),
        _row("ceiling: 1-row insert", result.ceilings["1-row insert"]),
        "  (bench / all: cores busy in this process / on the whole machine during the window; "
        "1/5/15-min load average before the store started: "
        + "/".join(f"{x:.1f}" for x in result.load_average)
        + ")",
        f"  floor under one search (a pk read and a 1-row insert, p95s added): {result.floor_p95():.1f} ms; "
        f"search p95 is {s.percentile(95) / result.floor_p95():.1f} x that",
        f"  the person meant came top in {result.top_share():.0%} of searches (a sanity figure); by kind:",
    ]
    lines += [
        f"    {kind:<21}{v['searches']:>6} searches, top {v['top_is_meant']:>4.0%},"
        f" p95 {v['p95_ms']:>6.0f} ms"
        for kind, v in result.by_kind().items()
    ]
    b = result.breakdown.summary()
    lines.append(
        f"  one search at a time ({b['searches']} searches): mean {b['single_search_mean_ms']:.1f} ms, "
        f"p95 {b['single_search_p95_ms']:.1f} ms, CPU in this process "
        f"{b['single_search_cpu_mean_ms']:.1f} ms mean; {b['keys_per_search_mean']:.0f} keys and "
        f"{b['candidates_per_search_mean']:.0f} candidates a search (max {b['candidates_per_search_max']}), "
        f"{b['searches_capped']} capped"
    )
    lines += [
        f"    {step:<26}{mean:>8.2f} ms mean {p95:>8.2f} ms p95 {share:>6.0%}"
        for step, mean, p95, share in result.breakdown.table()
    ]
    if result.breakdown.missing:
        lines.append(f"    (not in the code measured, so not timed: {', '.join(result.breakdown.missing)})")
    memory = f"  memory: bench process peak RSS {result.bench_peak_rss_mib:,.0f} MiB"
    if result.server_memory:
        m = result.server_memory
        memory += (
            f"; PostgreSQL server {m['pss_mib']:,.0f} MiB PSS ({m['rss_mib']:,.0f} MiB RSS summed) "
            f"over {m['processes']:.0f} processes after the search"
        )
    lines.append(memory)
    lines.append(
        f"  audit chain: {result.audit_entries} entries verified, {len(result.audit_findings)} findings"
    )
    lines += [f"    error sample: {e}" for e in s.error_samples]
    for label, figures in result.experiments.items():
        lines.append(f"  EXPERIMENT (not the product) {label}: {figures['summary']}")
    lines += [f"  {'PASS' if ok else 'FAIL'}  {name}" for name, ok in result.verdicts().items()]
    return "\n".join(lines)


def write_json(result: StoreResult, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    prepared = {k: v for k, v in asdict(result.prepared).items() if k != "cases"}
    data: dict[str, Any] = {
        "benchmark": "intel_search_scale",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "app_revision": result.revision,
        "store": result.store,
        "store_settings": result.durability,
        "plan": {"seed": result.plan.seed, "people": result.plan.people, "queries": result.plan.queries},
        "population": prepared | {"db_bytes": result.db_bytes, "table_bytes": result.table_bytes},
        "warmup_s": result.warmup_s,
        "load_average_before": result.load_average,
        "floor_p95_ms": round(result.floor_p95(), 2),
        "search": result.search.summary() | {"top_is_meant": round(result.top_share(), 3)},
        "search_by_kind": result.by_kind(),
        "ceilings": {label: run.summary() for label, run in result.ceilings.items()},
        "breakdown": result.breakdown.summary(),
        "memory": {"bench_peak_rss_mib": round(result.bench_peak_rss_mib, 1), "server": result.server_memory},
        "audit": {"entries": result.audit_entries, "findings": result.audit_findings},
        "experiments": result.experiments,
        "targets": {"max_search_p95_ms": TARGET_P95_MS},
        "verdicts": result.verdicts(),
        "passed": result.passed(),
    }
    path = folder / f"intel_search_scale-{result.store}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def revision() -> dict[str, Any]:
    """The commit, whether src/ has uncommitted changes, and a digest of every file in src/
    (any edit, committed or not, changes it)."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return app_revision() | {"src_digest": digest.hexdigest()[:12]}


def server_memory(engine: Engine) -> dict[str, float]:
    """PostgreSQL's memory: PSS (shared pages split fairly) and RSS summed over the postmaster
    and its children, read from /proc (empty for SQLite, or when /proc cannot be read)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as connection:
        backend = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    try:
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        pss = rss = 0
        for pid in [postmaster, *map(int, children)]:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
    except OSError:
        return {}
    return {"pss_mib": pss / 1024, "rss_mib": rss / 1024, "processes": 1 + len(children)}
