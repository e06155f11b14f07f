"""Verdicts against the targets, the printed table, and the JSON result file.

Targets (per store, both endpoints measured in the same run):
- open-incident throughput >= 0.5 x bare-insert throughput;
- open-incident p99 latency <= 200 ms;
- no non-2xx answer and no connection error, warm-up included;
- every acknowledged incident is in the store (incidents == 2xx answers);
- the audit hash chain verifies with no finding.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import LoadResult

REPO = Path(__file__).resolve().parent.parent
MIN_RATIO = 0.5
MAX_P99_MS = 200.0


@dataclass(frozen=True)
class StoreReport:
    store: str
    durability: dict[str, str]
    clients: int
    warmup_s: float
    open: LoadResult
    bare: LoadResult
    incidents_stored: int
    bare_rows_stored: int
    audit_entries: int
    audit_findings: list[str]

    @property
    def ratio(self) -> float:
        return self.open.rps / self.bare.rps if self.bare.rps else float("nan")

    def verdicts(self) -> dict[str, bool]:
        return {
            f"throughput ratio >= {MIN_RATIO}": self.ratio >= MIN_RATIO,
            f"open-incident p99 <= {MAX_P99_MS:.0f} ms": self.open.percentile(99) <= MAX_P99_MS,
            "no errors": self.open.errors_total == 0 and self.bare.errors_total == 0,
            "incidents stored == 2xx answers": self.incidents_stored == self.open.ok_total,
            "audit chain intact": not self.audit_findings,
        }

    def passed(self) -> bool:
        return all(self.verdicts().values())


def _row(name: str, result: LoadResult) -> str:
    return (
        f"  {name:<14}{result.rps:>9.1f}{result.percentile(50):>9.1f}"
        f"{result.percentile(95):>9.1f}{result.percentile(99):>9.1f}{result.errors:>8}"
        f"{result.server_cpu_share:>8.2f}{result.others_cpu_share:>8.2f}"
    )


def render(report: StoreReport) -> str:
    """The table printed for one store."""
    settings = ", ".join(f"{k}={v}" for k, v in report.durability.items())
    open_, bare = report.open, report.bare
    revision = app_revision()
    lines = [
        f"== {report.store}: {report.clients} clients, {open_.duration_s:g} s measured "
        f"after {report.warmup_s:g} s warm-up ==",
        f"  app: commit {revision['commit'][:10] or '?'}"
        + (" + uncommitted changes in src/" if revision["src_uncommitted_changes"] else ""),
        f"  store settings: {settings}",
        f"  {'endpoint':<14}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'srv cpu':>8}{'others':>8}",
        _row("open incident", open_),
        _row("bare insert", bare),
        "  (cpu: cores busy during the load; srv = the app process, others = everything but"
        " it and the load generator: the store, plus any other work on the machine)",
        f"  ratio open/bare: {report.ratio:.2f}",
        f"  errors incl. warm-up: open {open_.errors_total}, bare {bare.errors_total}",
        f"  incidents stored: {report.incidents_stored}; 2xx answers: {open_.ok_total}",
        f"  bare rows stored: {report.bare_rows_stored}; 2xx answers: {bare.ok_total}",
        f"  audit chain: {report.audit_entries} entries verified, {len(report.audit_findings)} findings",
    ]
    lines += [f"    finding: {f}" for f in report.audit_findings[:10]]
    lines += [f"    error sample: {s}" for s in open_.error_samples + bare.error_samples]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {name}" for name, ok in report.verdicts().items()]
    return "\n".join(lines)


def write_json(report: StoreReport, folder: Path) -> Path:
    """Write ``open_incidents-<store>.json`` into ``folder``; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "benchmark": "open_incidents",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count() or 0,
        },
        "app_revision": app_revision(),
        "store": report.store,
        "store_settings": report.durability,
        "clients": report.clients,
        "warmup_s": report.warmup_s,
        "duration_s": report.open.duration_s,
        "open_incident": report.open.summary(),
        "bare_insert": report.bare.summary(),
        "ratio_open_to_bare": round(report.ratio, 3),
        "targets": {"min_ratio": MIN_RATIO, "max_open_p99_ms": MAX_P99_MS},
        "incidents_stored": report.incidents_stored,
        "bare_rows_stored": report.bare_rows_stored,
        "audit": {"entries": report.audit_entries, "findings": report.audit_findings},
        "verdicts": report.verdicts(),
        "passed": report.passed(),
    }
    path = folder / f"open_incidents-{report.store}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def app_revision() -> dict[str, Any]:
    """The commit measured, and whether ``src/`` had uncommitted changes (read-only git)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD"),
        "src_uncommitted_changes": bool(git("status", "--porcelain", "--", "src")),
    }
