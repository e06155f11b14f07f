"""Benchmark: the compliance dashboard for a year of the demo force renders in at most 2 s.

What is measured, per store (a SQLite file; a private PostgreSQL cluster with default
durability):

1. **The store**: a year of the demo force at 500,000 incidents, written by the demo's own
   seeder (``compliance_store``: built once, cached under ``var/bench``).
2. **Through the real app over HTTP**: a ``thriives serve`` subprocess (one process, as
   shipped), one keep-alive HTTP/1.1 client in the bench process, one request at a time,
   authenticated as a supervisor by a bearer token. For the whole year, for each grouping
   (handler, team, shift, week): ``GET /compliance`` (the page), ``GET /api/v1/compliance``
   (JSON) and ``GET /api/v1/compliance.csv``, each a warm-up and then ``--runs`` times; the
   time is from sending the request to having read the whole answer. An endpoint the app
   does not have yet (404) is reported as absent.
3. **In the bench process, same store, same run**: the service call the handlers make
   (``container.supervision.dashboard``), the repository's query alone
   (``uow.supervision.sums``), and the ceilings: a bare ``count(*)`` of the period's
   ``qa_facts`` rows and a bare ``GROUP BY handler`` of them (store time with no app).
4. **Scaling**: the same at 1/8, 1/4, 1/2 and the whole of the year, on the one store:
   periods ending on the year's last day, the shortest holding at least that share of the
   incidents (about 62,500, 125,000, 250,000 and 500,000), for the slowest grouping.

Target: every p95 over HTTP at most 2 s, on each store.

Run: ``scripts/uv run python bench/compliance_dashboard.py`` (the first run builds the
stores: minutes).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_stores import STORES, Store, free_port, read_durability  # noqa: E402
from board_stream import thriives_server  # noqa: E402
from compliance_store import AS_OF, Plan, Prepared, prepare  # noqa: E402
from cpu import machine_busy_seconds, process_cpu_seconds  # noqa: E402
from deadline_parts import percentile  # noqa: E402
from harness import Server  # noqa: E402
from intel_report import revision  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from thriives.adapters.db.supervision_tables import qa_facts  # noqa: E402
from thriives.bootstrap import Container, build  # noqa: E402
from thriives.domain.accounts import Actor, Role  # noqa: E402
from thriives.domain.compliance import GROUPINGS, period_bounds  # noqa: E402
from thriives.settings import Settings  # noqa: E402

TARGET_MS = 2_000.0
USER = "bench.supervisor"
PASSWORD = "bench-supervisor-password"
# (label, path): the page, the JSON API, the CSV export.
ENDPOINTS = (
    ("page", "/compliance"),
    ("json", "/api/v1/compliance"),
    ("csv", "/api/v1/compliance.csv"),
)
# Not judged, measured for the whole year: the printable report (all four groupings at once).
REPORT = ("report", "/api/v1/compliance/report")
FRACTIONS = (1 / 8, 1 / 4, 1 / 2, 1.0)


def progress(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# ---- timings ------------------------------------------------------------------------------


@dataclass
class Timing:
    """Wall times of one measure (ms), what it answered, and the server's CPU per call."""

    times_ms: list[float] = field(default_factory=list)
    status: int | None = None  # HTTP only
    bytes: int = 0
    server_cpu_ms: float | None = None  # HTTP only: the server process's CPU per request
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms) if self.times_ms else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.times_ms, 95)

    def summary(self) -> dict[str, Any]:
        return {
            "runs": len(self.times_ms),
            "median_ms": round(self.median, 1),
            "p95_ms": round(self.p95, 1),
            "min_ms": round(min(self.times_ms, default=float("nan")), 1),
            "max_ms": round(max(self.times_ms, default=float("nan")), 1),
            "status": self.status,
            "bytes": self.bytes,
            "server_cpu_ms": None if self.server_cpu_ms is None else round(self.server_cpu_ms, 1),
            "note": self.note,
        }


class Client:
    """One keep-alive HTTP/1.1 connection to the server, bearer-authenticated."""

    def __init__(self, server: Server, token: str) -> None:
        self.server = server
        self._headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
        self._connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)

    def get(self, path: str) -> tuple[int, str, bytes]:
        """GET ``path``; once more on a new connection if the server had closed an idle one
        (uvicorn closes a keep-alive connection after 5 s idle; connecting again costs well
        under a millisecond here)."""
        try:
            return self._get(path)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self._connection.close()
            self._connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=300)
            return self._get(path)

    def _get(self, path: str) -> tuple[int, str, bytes]:
        self._connection.request("GET", path, headers=self._headers)
        response = self._connection.getresponse()
        body = response.read()
        return response.status, response.getheader("content-type", ""), body

    def close(self) -> None:
        self._connection.close()


# ---- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    share: float  # of the year
    start: date
    end: date
    incidents: int  # qa_facts rows received in it

    @property
    def label(self) -> str:
        return f"{self.start}..{self.end}"

    def query(self, by: str) -> str:
        return urlencode({"start": self.start.isoformat(), "end": self.end.isoformat(), "by": by})


def periods(container: Container) -> list[Period]:
    """The whole year and the shortest periods ending on its last day holding 1/8, 1/4 and 1/2
    of its incidents."""
    zone = ZoneInfo(container.settings.force_timezone)
    first = (AS_OF - timedelta(days=365)).astimezone(zone).date()
    last = (AS_OF - timedelta(microseconds=1)).astimezone(zone).date()
    low, high = period_bounds(first, last, zone)
    with container.uow() as uow:
        rows = uow.connection.execute(
            select(qa_facts.c.received_at).where(qa_facts.c.received_at >= low, qa_facts.c.received_at < high)
        )
        per_day = Counter(row[0].astimezone(zone).date() for row in rows)
    year = sum(per_day.values())
    out = []
    for share in FRACTIONS:
        day, held = last, per_day[last]
        while held < share * year and day > first:
            day -= timedelta(days=1)
            held += per_day[day]
        out.append(Period(share, day, last, held))
    return out


# ---- the store's side ---------------------------------------------------------------------


def bare_count(container: Container, low: datetime, high: datetime) -> int:
    query = select(func.count()).select_from(qa_facts)
    with container.uow() as uow:
        return int(
            uow.connection.execute(
                query.where(qa_facts.c.received_at >= low, qa_facts.c.received_at < high)
            ).scalar_one()
        )


def bare_group(container: Container, low: datetime, high: datetime) -> int:
    query = (
        select(qa_facts.c.handler, func.count())
        .where(qa_facts.c.received_at >= low, qa_facts.c.received_at < high)
        .group_by(qa_facts.c.handler)
    )
    with container.uow() as uow:
        return len(uow.connection.execute(query).all())


def repository_sums(container: Container, low: datetime, high: datetime, by: str) -> int:
    with container.uow() as uow:
        return len(uow.supervision.sums(low, high, by))


@dataclass
class Measured:
    """Every timing of one period, keyed ``(measure, grouping)``; grouping "" when none."""

    period: Period
    timings: dict[tuple[str, str], Timing] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Measure:
    """One thing to time: in the bench process, or a GET to the server (``path``)."""

    name: str
    by: str
    call: Callable[[], Any]
    path: str | None = None


def json_total(body: bytes) -> int | None:
    """The total incident count a JSON answer gives, if it has one where the service puts it."""
    try:
        data = json.loads(body)
        return int(data["total"]["incidents"])
    except (ValueError, KeyError, TypeError):
        return None


def measures(
    container: Container,
    actor: Actor,
    client: Client,
    period: Period,
    groupings: tuple[str, ...],
    endpoints: tuple[tuple[str, str], ...],
) -> list[Measure]:
    zone = ZoneInfo(container.settings.force_timezone)
    low, high = period_bounds(period.start, period.end, zone)
    out = [
        Measure("count(*)", "", lambda: bare_count(container, low, high)),
        Measure("GROUP BY handler", "", lambda: bare_group(container, low, high)),
    ]
    for by in groupings:
        out.append(Measure("repository sums", by, lambda by=by: repository_sums(container, low, high, by)))
        out.append(
            Measure(
                "service",
                by,
                lambda by=by: container.supervision.dashboard(actor, period.start, period.end, by),
            )
        )
    for label, path in endpoints:
        for by in groupings if label != REPORT[0] else ("all",):
            url = f"{path}?{period.query(by if by != 'all' else '')}"
            out.append(Measure(label, by, lambda url=url: client.get(url), url))
    return out


def check(found: Measured, measure: Measure, answer: Any) -> None:
    """What the warm-up answered: the right number of incidents, the groups, the CSV's lines."""
    incidents, by = found.period.incidents, measure.by
    if measure.name == "count(*)":
        found.checks["bare count equals the period's incidents"] = answer == incidents
    elif measure.name == "service":
        found.groups[by] = len(answer["rows"])
        found.checks[f"service total ({by}) equals the period's incidents"] = (
            answer["total"].incidents == incidents
        )
    elif measure.name == "json":
        total = json_total(answer[2])
        if total is not None:
            found.checks[f"JSON total ({by}) equals the period's incidents"] = total == incidents
    elif measure.name == "page":
        shown = (str(incidents).encode(), f"{incidents:,}".encode())
        found.checks[f"page ({by}) shows the period's total"] = any(n in answer[2] for n in shown)
    elif measure.name == "csv":
        lines = list(csv.reader(io.StringIO(answer[2].decode("utf-8-sig", errors="replace"))))
        found.timings[measure.name, by].note = f"{len(lines)} lines"


def run_rounds(found: Measured, todo: list[Measure], runs: int, server: Server) -> None:
    """A warm-up of each measure, then ``runs`` rounds of all of them in turn, so that every
    measure sees the same machine (other work on it comes and goes). A GET that does not
    answer 200 on its warm-up is recorded with its status and left out of the rounds."""
    timed = []
    for measure in todo:
        answer = measure.call()
        timing = found.timings[measure.name, measure.by] = Timing()
        if measure.path is not None:
            timing.status, timing.bytes, timing.server_cpu_ms = answer[0], len(answer[2]), 0.0
            if answer[0] != 200:
                timing.note = answer[2][:200].decode(errors="replace")
                continue
        check(found, measure, answer)
        timed.append(measure)
    for _ in range(runs):
        for measure in timed:
            timing = found.timings[measure.name, measure.by]
            cpu = process_cpu_seconds(server.pid) if measure.path else 0.0
            started = time.perf_counter()
            answer = measure.call()
            timing.times_ms.append((time.perf_counter() - started) * 1000)
            if measure.path is not None:
                timing.server_cpu_ms = (timing.server_cpu_ms or 0.0) + (
                    process_cpu_seconds(server.pid) - cpu
                ) * 1000
                if answer[0] != 200:
                    timing.status, timing.note = answer[0], answer[2][:200].decode(errors="replace")
    for measure in timed:
        timing = found.timings[measure.name, measure.by]
        if timing.server_cpu_ms is not None and timing.times_ms:
            timing.server_cpu_ms /= len(timing.times_ms)


# ---- one store ----------------------------------------------------------------------------


@dataclass
class StoreResult:
    store: str
    durability: dict[str, str]
    prepared: Prepared
    db_bytes: int
    year: Measured
    scaling: list[Measured]
    scaling_by: str
    present: dict[str, bool]
    startup_s: float
    load_average: tuple[float, float, float]
    cores_busy: float
    revision: dict[str, Any]

    def verdicts(self) -> dict[str, bool]:
        out = {}
        for label, _path in ENDPOINTS:
            if not self.present.get(label):
                continue
            worst = max(self.year.timings[label, by].p95 for by in GROUPINGS)
            out[f"GET {label}, whole year, every grouping: p95 <= {TARGET_MS:.0f} ms"] = worst <= TARGET_MS
            out[f"GET {label}: every answer 200"] = all(
                self.year.timings[label, by].status == 200 for by in GROUPINGS
            )
        out["the page or the JSON API was there to measure"] = bool(
            self.present.get("page") or self.present.get("json")
        )
        out |= self.year.checks
        return out

    def passed(self) -> bool:
        return all(self.verdicts().values())


def add_supervisor(container: Container) -> tuple[Actor, str]:
    now = datetime.now(UTC)
    with container.uow() as uow:
        found = uow.users.by_username(USER)
    if found is None:
        container.accounts.add_user(
            USER, "Bench Supervisor", Role.SUPERVISOR, PASSWORD, now, team="Red watch"
        )
    token = container.accounts.issue_token(USER, "compliance bench", now)
    with container.uow() as uow:
        row = uow.users.by_username(USER)
    assert row is not None
    return Actor(row["id"], row["username"], Role(row["role"]), row["display_name"]), token


def db_bytes(container: Container, store: Store) -> int:
    if store.name == "sqlite":
        database = Path(str(container.engine.url.database))
        return sum(p.stat().st_size for p in database.parent.glob(database.name + "*"))
    with container.engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())


@contextmanager
def server_for(store: Store) -> Iterator[tuple[Server, float]]:
    started = time.perf_counter()
    with thriives_server(store, free_port()) as server:
        yield server, time.perf_counter() - started


def slowest_grouping(year: Measured, present: dict[str, bool]) -> str:
    label = "page" if present.get("page") else "json" if present.get("json") else "service"
    return max(GROUPINGS, key=lambda by: year.timings[label, by].p95)


def bench_store(name: str, plan: Plan, args: argparse.Namespace) -> StoreResult:
    load = os.getloadavg()
    progress(f"{name}: starting a fresh store (load average {load[0]:.1f}) ...")
    code = revision()
    with STORES[name]() as store:
        prepared = prepare(store, plan, progress)
        how = (
            f"{'copied' if name == 'sqlite' else 'restored'} from the cache in {prepared.restore_s:.0f} s"
            if prepared.reused
            else "built this run"
        )
        progress(
            f"{name}: {prepared.counts['incidents']:,} incidents ({how}; "
            f"the build took {prepared.build_s:.0f} s"
            + (f"; VACUUM ANALYZE {prepared.settle_s:.0f} s" if prepared.settle_s else "")
            + ")"
        )
        container = build(Settings(database_url=store.url))
        try:
            durability = read_durability(container.engine)
            actor, token = add_supervisor(container)
            size = db_bytes(container, store)
            spans = periods(container)
            year_period = spans[-1]
            busy, began = machine_busy_seconds(), time.perf_counter()
            with server_for(store) as (server, startup_s):
                client = Client(server, token)
                try:
                    progress(
                        f"{name}: thriives serve up in {startup_s:.1f} s (pid {server.pid}); the year "
                        f"{year_period.label}: {year_period.incidents:,} incidents, {args.runs} rounds ..."
                    )
                    year = Measured(year_period)
                    todo = measures(container, actor, client, year_period, GROUPINGS, (*ENDPOINTS, REPORT))
                    run_rounds(year, todo, args.runs, server)
                    present = {label: year.timings[label, "handler"].status == 200 for label, _ in ENDPOINTS}
                    scaling_by = slowest_grouping(year, present)
                    scaling = []
                    here = tuple(e for e in ENDPOINTS if present[e[0]])
                    for period in spans[:-1]:
                        progress(
                            f"{name}: scaling by {scaling_by}, {period.label}: "
                            f"{period.incidents:,} incidents ..."
                        )
                        found = Measured(period)
                        todo = measures(container, actor, client, period, (scaling_by,), here)
                        run_rounds(found, todo, args.scaling_runs, server)
                        scaling.append(found)
                    scaling.append(year)
                finally:
                    client.close()
            cores_busy = (machine_busy_seconds() - busy) / (time.perf_counter() - began)
        finally:
            container.close()
    return StoreResult(
        name,
        durability,
        prepared,
        size,
        year,
        scaling,
        scaling_by,
        present,
        startup_s,
        load,
        cores_busy,
        code,
    )


# ---- the report ---------------------------------------------------------------------------


def _cell(timing: Timing | None) -> str:
    if timing is None or not timing.times_ms:
        return f"{'absent' if timing is not None and timing.status == 404 else '-':>17}"
    return f"{timing.median:>8.0f}{timing.p95:>9.0f}"


def render(result: StoreResult) -> str:
    p, year = result.prepared, result.year
    lines = [
        f"== {result.store}: compliance dashboard, a year of the demo force ==",
        f"  store: {year.period.incidents:,} incidents in {year.period.label} "
        f"({p.counts['incidents']:,} incidents, {p.counts['events']:,} events, "
        f"{p.counts['qa_facts']:,} QA facts; "
        f"{result.db_bytes / 2**20:,.0f} MiB); {result.durability}",
        f"  build: seeded in {p.build_s:.0f} s (peak RSS {p.build_peak_rss_mib:.0f} MiB, {p.built_at}); "
        + (
            f"this run {'copied' if result.store == 'sqlite' else 'restored'} {p.cache} "
            f"in {p.restore_s:.0f} s"
            if p.reused
            else f"built this run, cached as {p.cache}"
        )
        + (f"; VACUUM ANALYZE {p.settle_s:.0f} s" if p.settle_s else ""),
        f"  thriives serve started in {result.startup_s:.1f} s; load average before "
        f"{result.load_average[0]:.1f}; {result.cores_busy:.2f} of {os.cpu_count()} cores busy "
        "while measuring",
        f"  groups: {', '.join(f'{by} {n}' for by, n in year.groups.items())}",
        "",
        f"  whole year, ms (median, p95; {len(year.timings['service', 'handler'].times_ms)} runs each):",
        f"  {'measure':<26}" + "".join(f"{by:>17}" for by in GROUPINGS),
    ]
    rows = [("count(*)  [store ceiling]", "count(*)"), ("GROUP BY handler [ceiling]", "GROUP BY handler")]
    rows += [("repository sums", "repository sums"), ("service (in process)", "service")]
    rows += [(f"GET {label}", label) for label, _ in ENDPOINTS]
    for title, key in rows:
        if key in ("count(*)", "GROUP BY handler"):
            lines.append(f"  {title:<26}{_cell(year.timings.get((key, '')))}")
        else:
            lines.append(f"  {title:<26}" + "".join(_cell(year.timings.get((key, by))) for by in GROUPINGS))
    report = year.timings.get((REPORT[0], "all"))
    if report is not None:
        lines.append(
            f"  {'GET report (not judged)':<26}{_cell(report)}  (the printable report: all four groupings)"
        )
    cpu = [
        f"{label} {year.timings[label, by].server_cpu_ms:.0f}"
        for label, _ in ENDPOINTS
        for by in ("handler",)
        if (label, by) in year.timings and year.timings[label, by].server_cpu_ms is not None
    ]
    if cpu:
        lines.append(f"  server CPU a request, by handler (ms): {', '.join(cpu)}")
    headline = "page" if result.present.get("page") else "json" if result.present.get("json") else None
    if headline:
        extra = []
        for by in GROUPINGS:
            app, query = year.timings.get((headline, by)), year.timings.get(("repository sums", by))
            if app and query and app.times_ms and query.times_ms:
                extra.append(f"{by} {app.median - query.median:+.0f} ms")
        lines.append(
            f"  the app on top of its own query ({headline} - repository sums, medians): " + ", ".join(extra)
        )
    absent = [label for label, _ in ENDPOINTS if not result.present.get(label)]
    if absent:
        lines.append(f"  absent from the app (404): {', '.join(absent)}")
    lines += [
        "",
        f"  scaling (by {result.scaling_by}; median ms; periods ending {year.period.end}):",
        f"  {'incidents':>10}{'days':>6}{'count(*)':>10}{'GROUP BY':>10}{'sums':>8}{'service':>9}"
        + "".join(f"{label:>8}" for label, _ in ENDPOINTS)
        + f"{'ms/100k':>9}",
    ]
    headline = "page" if result.present.get("page") else "json" if result.present.get("json") else "service"
    for found in result.scaling:
        t = found.timings
        by = result.scaling_by

        def med(key: tuple[str, str], t: dict[tuple[str, str], Timing] = t) -> str:
            timing = t.get(key)
            return f"{timing.median:.0f}" if timing and timing.times_ms else "-"

        main = t.get((headline, by)) if headline != "service" else t.get(("service", by))
        per = main.median / found.period.incidents * 100_000 if main and main.times_ms else float("nan")
        lines.append(
            f"  {found.period.incidents:>10,}{(found.period.end - found.period.start).days + 1:>6}"
            f"{med(('count(*)', '')):>10}{med(('GROUP BY handler', '')):>10}{med(('repository sums', by)):>8}"
            f"{med(('service', by)):>9}"
            + "".join(f"{med((label, by)):>8}" for label, _ in ENDPOINTS)
            + f"{per:>9.0f}"
        )
    lines.append(f"  (ms/100k: the {headline} median per 100,000 incidents in the period)")
    lines.append("")
    for verdict, ok in result.verdicts().items():
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {verdict}")
    lines.append(f"  verdict: {'PASS' if result.passed() else 'FAIL'}")
    return "\n".join(lines)


def write_json(result: StoreResult, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)

    def measured(found: Measured) -> dict[str, Any]:
        return {
            "period": {"start": str(found.period.start), "end": str(found.period.end)},
            "share_of_year": found.period.share,
            "incidents": found.period.incidents,
            "groups": found.groups,
            "timings": {f"{m} {by}".strip(): t.summary() for (m, by), t in found.timings.items()},
            "checks": found.checks,
        }

    data = {
        "bench": "compliance_dashboard",
        "store": result.store,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "revision": result.revision,
        "src_changed_during_run": revision()["src_digest"] != result.revision["src_digest"],
        "durability": result.durability,
        "store_build": result.prepared.__dict__,
        "db_bytes": result.db_bytes,
        "server_startup_s": round(result.startup_s, 2),
        "load_average_before": result.load_average,
        "cores_busy": round(result.cores_busy, 2),
        "endpoints_present": result.present,
        "year": measured(result.year),
        "scaling_by": result.scaling_by,
        "scaling": [measured(found) for found in result.scaling],
        "target_p95_ms": TARGET_MS,
        "verdicts": result.verdicts(),
        "passed": result.passed(),
    }
    path = folder / f"compliance_dashboard-{result.store}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--incidents", type=int, default=500_000, help="incidents in the demo year")
    parser.add_argument("--people", type=int, default=1_000, help="people on the legacy intelligence records")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument(
        "--runs", type=int, default=20, help="timed runs per measure and grouping, whole year"
    )
    parser.add_argument("--scaling-runs", type=int, default=5, help="timed runs per measure, shorter periods")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = Plan(args.incidents, args.people, args.seed)
    results = []
    for name in args.stores.split(","):
        result = bench_store(name, plan, args)
        print()
        print(render(result), flush=True)
        print(f"  results: {write_json(result, args.results)}")
        print()
        results.append(result)
    if len(results) > 1:
        print("summary: " + "; ".join(f"{r.store} {'PASS' if r.passed() else 'FAIL'}" for r in results))
    return 0 if all(r.passed() for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
