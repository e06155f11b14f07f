"""Deadlines on both stores: each fires once, on time, through failures, restarts and kills.

``fire_due`` is driven by the fake clock where the rule is about time; the worker itself
(``run_worker`` on threads, and ``thriives worker`` as a process) runs on the real clock.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import FakeClock, People
from tests.conftest import test_settings as settings_for
from tests.services.test_dispatch import EMERGENCY, assess, open_incident, pending, seed_force, task_of
from thriives.adapters import worker as worker_module
from thriives.adapters.db.dispatch_tables import deadlines
from thriives.adapters.db.tables import events
from thriives.adapters.worker import run_worker
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Role
from thriives.domain.incidents import Channel, Contact
from thriives.services import deadlines as deadlines_module

WAIT = 20.0  # the longest a test waits for a worker before failing
ON_TIME = 1.0  # the figure: each deadline fires within a second of its time
NO_EFFECT = "attendance.at_risk"  # with no incident, firing it does nothing but mark it fired


@pytest.fixture
def force(container: Container) -> None:
    seed_force(container)


def deadline_rows(container: Container, **where: Any) -> list[dict[str, Any]]:
    query = select(deadlines).order_by(deadlines.c.id)
    for column, value in where.items():
        query = query.where(deadlines.c[column] == value)
    with container.uow() as uow:
        return [dict(r._mapping) for r in uow.connection.execute(query)]


def event_kinds(container: Container, kind: str) -> Counter[str | None]:
    """How many events of ``kind`` each incident has."""
    with container.uow() as uow:
        rows = uow.connection.execute(select(events.c.incident_id).where(events.c.kind == kind)).all()
    return Counter(incident_id for (incident_id,) in rows)


def add_deadlines(container: Container, rows: list[tuple[str, datetime, str | None]]) -> list[int]:
    now = datetime.now(UTC)
    with container.uow(write=True) as uow:
        ids = [uow.dispatch.add_deadline(kind, due, now, incident) for kind, due, incident in rows]
        uow.commit()
    return ids


def wait_until(check: Callable[[], bool], timeout: float = WAIT, what: str = "the worker") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not finish within {timeout} s")


def graded_incidents(container: Container, count: int, due: datetime) -> list[str]:
    """``count`` graded urban emergencies, each with at-risk and breach deadlines at ``due``.

    Written straight to the store (the clock's times are the test's choice, not the policy's),
    after opening each incident through the service so it is a real, journalled incident.
    """
    handler = People(container)(Role.CALL_HANDLER)
    now = container.clock()
    ids = []
    for number in range(count):
        contact = Contact(Channel.EMERGENCY, now, "crime_violence", account=f"race {number}")
        ids.append(container.incidents.open(handler, contact, now).incident["id"])
    with container.uow(write=True) as uow:
        for incident_id in ids:
            changes = {"status": "graded", "grade": "emergency", "graded_at": now, "area": "urban"}
            assert uow.incidents.update(incident_id, 1, changes)
            uow.dispatch.add_deadline("attendance.at_risk", due, now, incident_id)
            uow.dispatch.add_deadline("attendance.breach", due, now, incident_id)
        uow.commit()
    return ids


def assert_each_effect_once(container: Container, incident_ids: list[str]) -> None:
    """Every incident's at-risk and breach fired once: one task, opened once, added to once."""
    for kind in (
        "attendance.at_risk",
        "attendance.breached",
        "reassessment.opened",
        "reassessment.trigger_added",
    ):
        counts = event_kinds(container, kind)
        assert {i: counts[i] for i in incident_ids} == dict.fromkeys(incident_ids, 1), kind
    with container.uow() as uow:
        for incident_id in incident_ids:
            (task,) = uow.dispatch.tasks_of(incident_id)
            assert sorted(t["trigger"] for t in task["triggers"]) == ["clock_at_risk", "clock_breached"]


# ---- fire_due under the fake clock -----------------------------------------------------------


def test_each_due_deadline_fires_once_and_none_early(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler = people()
    start = clock()
    incidents = []
    for _ in range(3):
        incident = open_incident(container, handler, clock)
        assess(container, handler, incident, clock, EMERGENCY)
        incidents.append(incident)
        clock.advance(minutes=1)
    clock.now = start + timedelta(minutes=11, seconds=14)
    assert container.deadlines.fire_due(clock(), "w1") == []
    clock.now = start + timedelta(minutes=12, seconds=15)  # the first two at-risk points
    fired = container.deadlines.fire_due(clock(), "w1")
    assert [f.due_at for f in fired] == [
        start + timedelta(minutes=11.25),
        start + timedelta(minutes=12.25),
    ]
    assert container.deadlines.fire_due(clock(), "w1") == []
    clock.now = start + timedelta(minutes=20)  # before the first tasks' escalations, at 22:15
    fired = container.deadlines.fire_due(clock(), "w2")
    assert [(f.kind, f.due_at) for f in fired] == [
        ("attendance.at_risk", start + timedelta(minutes=13.25)),
        ("attendance.breach", start + timedelta(minutes=15)),
        ("attendance.breach", start + timedelta(minutes=16)),
        ("attendance.breach", start + timedelta(minutes=17)),
    ]
    assert container.deadlines.fire_due(clock(), "w2") == []
    rows = [r for r in deadline_rows(container) if r["kind"].startswith("attendance.")]
    assert all(r["state"] == "fired" and r["attempts"] == 1 for r in rows)
    assert Counter(r["fired_by"] for r in rows) == {"w1": 2, "w2": 4}
    assert_each_effect_once(container, [i["id"] for i in incidents])
    # Next: the escalation of the tasks the first two at-risk points opened at 12:15.
    assert container.deadlines.next_due() == start + timedelta(minutes=22, seconds=15)


def test_a_failing_deadline_is_marked_failed_and_the_rest_still_fire(
    container: Container, force: None, people: People, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = people()
    incidents = []
    for _ in range(3):
        incident = open_incident(container, handler, clock)
        assess(container, handler, incident, clock, EMERGENCY)
        incidents.append(incident)
    bad_incident = incidents[1]["id"]
    (bad,) = deadline_rows(container, incident_id=bad_incident, kind="attendance.at_risk")
    service = container.deadlines
    real_fire = service._fire

    def flaky(uow: Any, deadline: dict[str, Any], *rest: Any) -> None:
        if deadline["id"] == bad["id"]:
            raise RuntimeError("the effect blew up")
        real_fire(uow, deadline, *rest)

    monkeypatch.setattr(service, "_fire", flaky)
    clock.advance(minutes=12)
    fired = service.fire_due(clock(), "w1")
    assert sorted(f.id for f in fired) == sorted(
        d["id"]
        for i in (0, 2)
        for d in deadline_rows(container, incident_id=incidents[i]["id"])
        if d["kind"] == "attendance.at_risk"
    )
    (row,) = deadline_rows(container, id=bad["id"])
    assert (row["state"], row["fired_by"], row["fired_at"]) == ("failed", "w1", clock())
    assert row["error"] == "RuntimeError: the effect blew up"
    assert event_kinds(container, "deadline.failed") == {bad_incident: 1}
    assert task_of(container, bad_incident) is None  # its effect was rolled back whole
    assert all(task_of(container, incidents[i]["id"]) is not None for i in (0, 2))
    assert service.fire_due(clock(), "w1") == []  # a failed deadline is not retried forever
    board = container.dispatch.board(people(Role.DISPATCHER), clock())
    assert board["failed_deadlines"] == 1
    # Its breach still fires: one fault stops no other clock, even the same incident's.
    clock.advance(minutes=4)
    assert [f.kind for f in service.fire_due(clock(), "w1")] == ["attendance.breach"] * 3


def test_a_deadline_another_worker_fires_while_one_recovers_from_a_failure_stays_fired_once(
    database_url: str,
    container: Container,
    force: None,
    people: People,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A transient fault: this worker's effect fails and rolls back; before it can mark the
    deadline failed, another worker fires it. The other worker's outcome must stand."""
    handler = people()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    (at_risk,) = deadline_rows(container, incident_id=incident["id"], kind="attendance.at_risk")
    service = container.deadlines
    other = build(settings_for(database_url), clock=clock)

    def failing(uow: Any, deadline: dict[str, Any], *rest: Any) -> None:
        raise RuntimeError("a passing fault")

    class Log:
        """Stands in for the module's logger: the other worker acts in the window between
        this worker's rollback and its marking the deadline failed."""

        def exception(self, message: str, *args: Any) -> None:
            if message.startswith("deadline %s failed"):
                assert [f.id for f in other.deadlines.fire_due(clock(), "w2")] == [at_risk["id"]]

    monkeypatch.setattr(service, "_fire", failing)
    monkeypatch.setattr(deadlines_module, "log", Log())
    clock.advance(minutes=12)
    try:
        assert service.fire_due(clock(), "w1") == []
    finally:
        other.close()
    (row,) = deadline_rows(container, id=at_risk["id"])
    assert (row["state"], row["fired_by"], row["attempts"], row["error"]) == ("fired", "w2", 1, None)
    assert event_kinds(container, "deadline.failed") == {}
    assert event_kinds(container, "reassessment.opened") == {incident["id"]: 1}


def test_deadlines_fire_at_the_right_utc_time_across_the_clocks_going_forward(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 3, 29, 0, 50, tzinfo=UTC)  # 00:50 GMT; at 01:00 UTC it is 02:00 BST
    handler = people()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)  # urban emergency: 15 minutes
    assert pending(container, incident["id"]) == [
        ("attendance.at_risk", datetime(2026, 3, 29, 1, 1, 15, tzinfo=UTC)),
        ("attendance.breach", datetime(2026, 3, 29, 1, 5, tzinfo=UTC)),
    ]
    clock.now = datetime(2026, 3, 29, 1, 4, 59, tzinfo=UTC)
    assert [f.kind for f in container.deadlines.fire_due(clock(), "w")] == ["attendance.at_risk"]
    clock.now = datetime(2026, 3, 29, 1, 5, tzinfo=UTC)
    (breach,) = container.deadlines.fire_due(clock(), "w")
    assert (breach.kind, breach.due_at, breach.fired_at) == ("attendance.breach", clock(), clock())


def test_deadlines_fire_at_the_right_utc_time_across_the_clocks_going_back(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)  # 01:50 BST; at 01:00 UTC it is 01:00 GMT
    handler = people()
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    clock.now = datetime(2026, 10, 25, 1, 4, 59, tzinfo=UTC)
    assert [f.kind for f in container.deadlines.fire_due(clock(), "w")] == ["attendance.at_risk"]
    clock.now = datetime(2026, 10, 25, 1, 5, tzinfo=UTC)
    assert [f.kind for f in container.deadlines.fire_due(clock(), "w")] == ["attendance.breach"]


# ---- the worker on the real clock ------------------------------------------------------------


@contextmanager
def worker_thread(container: Container, name: str) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(container, stop, name), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive(), f"worker {name} did not stop"


@pytest.fixture
def real_clock_container(database_url: str) -> Iterator[Container]:
    built = build(settings_for(database_url))
    yield built
    built.close()


def spread(count: int, first: float = 0.3, last: float = 1.5) -> list[datetime]:
    now = datetime.now(UTC)
    step = (last - first) / max(1, count - 1)
    return [now + timedelta(seconds=first + step * i) for i in range(count)]


def assert_on_time(rows: list[dict[str, Any]]) -> None:
    late = sorted((r["fired_at"] - r["due_at"]).total_seconds() for r in rows)
    assert late[0] >= 0, "a deadline fired before its time"
    assert late[-1] < ON_TIME, f"fired up to {late[-1]:.3f} s late (median {late[len(late) // 2]:.3f} s)"


def test_the_worker_fires_each_deadline_within_a_second_and_a_restart_loses_none(
    real_clock_container: Container,
) -> None:
    container = real_clock_container
    first = add_deadlines(container, [(NO_EFFECT, due, None) for due in spread(20)])
    with worker_thread(container, "worker-1"):
        wait_until(lambda: all(r["state"] == "fired" for r in deadline_rows(container)))
        second = add_deadlines(container, [(NO_EFFECT, due, None) for due in spread(20, 0.3, 3.0)])
        time.sleep(0.8)  # the first few of the second lot fired, the rest still ahead
    with worker_thread(container, "worker-2"):
        wait_until(lambda: all(r["state"] == "fired" for r in deadline_rows(container)))
    rows = deadline_rows(container)
    assert [r["id"] for r in rows] == first + second
    assert all((r["state"], r["attempts"]) == ("fired", 1) for r in rows)
    by = Counter(r["fired_by"] for r in rows if r["id"] in second)
    assert set(by) <= {"worker-1", "worker-2"} and by["worker-2"] > 0, by
    assert_on_time(rows)


@pytest.mark.slow
def test_four_workers_racing_fire_each_deadline_once(
    database_url: str, real_clock_container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the workers share the due rows (SKIP LOCKED); on SQLite they take turns
    (one writer at a time). Either way each deadline fires once and its effect happens once."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    incident_ids = graded_incidents(real_clock_container, 150, past)  # 300 due deadlines
    monkeypatch.setattr(worker_module, "BATCH", 10)  # small batches, so the workers interleave
    containers = [build(settings_for(database_url)) for _ in range(4)]
    try:
        with (
            worker_thread(containers[0], "racer-0"),
            worker_thread(containers[1], "racer-1"),
            worker_thread(containers[2], "racer-2"),
            worker_thread(containers[3], "racer-3"),
        ):
            wait_until(
                lambda: all(
                    r["state"] == "fired"
                    for r in deadline_rows(real_clock_container)
                    if r["kind"].startswith("attendance.")
                ),
                timeout=60,
            )
    finally:
        for built in containers:
            built.close()
    rows = [r for r in deadline_rows(real_clock_container) if r["kind"].startswith("attendance.")]
    assert len(rows) == 300 and all((r["state"], r["attempts"]) == ("fired", 1) for r in rows)
    by = Counter(r["fired_by"] for r in rows)
    print(f"deadlines fired per worker: {dict(sorted(by.items()))}")
    if database_url.startswith("postgresql"):  # on SQLite whoever gets the lock may do it all
        assert len(by) >= 2, f"one worker fired everything: {by}"
    assert_each_effect_once(real_clock_container, incident_ids)
    escalations = [r for r in deadline_rows(real_clock_container) if r["kind"] == "reassessment.escalate"]
    assert Counter(r["incident_id"] for r in escalations) == dict.fromkeys(incident_ids, 1)


# ---- thriives worker as a process ------------------------------------------------------------


def _worker_command(name: str) -> list[str]:
    script = shutil.which("thriives", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script, "worker", "--name", name]
    return [
        sys.executable,
        "-c",
        "from thriives.adapters.cli.main import app; app()",
        "worker",
        "--name",
        name,
    ]


@contextmanager
def worker_process(database_url: str, name: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THRIIVES_")}
    env |= {"THRIIVES_DATABASE_URL": database_url, "THRIIVES_DB_POOL_SIZE": "2"}
    with log.open("ab") as sink:
        process = subprocess.Popen(
            _worker_command(name), env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        kill(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's whole process group (it leads its own session)."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.slow
def test_a_killed_worker_process_leaves_the_rest_to_the_next_and_none_fires_twice(
    real_clock_container: Container, tmp_path: Path
) -> None:
    container = real_clock_container
    log = tmp_path / "worker.log"
    now = datetime.now(UTC)
    (first,) = graded_incidents(container, 1, now)

    def fired() -> list[dict[str, Any]]:
        return [r for r in deadline_rows(container) if r["state"] == "fired"]

    with worker_process(container.settings.database_url, "proc-1", log) as process:
        wait_until(
            lambda: len(fired()) == 2 or process.poll() is not None, timeout=60, what="thriives worker"
        )
        assert process.poll() is None, log.read_text(errors="replace")
        assert {r["fired_by"] for r in fired()} == {"proc-1"}
        assert task_of(container, first) is not None
        # A second lot, due over the next two seconds; the worker is killed part-way through.
        incident_ids = graded_incidents(container, 40, datetime.now(UTC) + timedelta(seconds=1))
        add_deadlines(container, [(NO_EFFECT, due, None) for due in spread(200, 0.2, 2.0)])
        wait_until(lambda: len(fired()) >= 40, what="thriives worker")
        kill(process)
    remaining = len(
        [
            r
            for r in deadline_rows(container)
            if r["state"] == "pending" and r["kind"].startswith("attendance.")
        ]
    )
    with worker_process(container.settings.database_url, "proc-2", log) as process:
        wait_until(
            lambda: all(
                r["state"] == "fired" for r in deadline_rows(container) if r["kind"].startswith("attendance.")
            ),
            timeout=60,
            what="the second thriives worker",
        )
        assert process.poll() is None, log.read_text(errors="replace")
    rows = [r for r in deadline_rows(container) if r["kind"].startswith("attendance.")]
    assert len(rows) == 2 + 80 + 200
    assert all((r["state"], r["attempts"]) == ("fired", 1) for r in rows)
    by = Counter(r["fired_by"] for r in rows)
    print(f"fired per worker process: {dict(by)}; pending at the kill: {remaining}")
    assert set(by) <= {"proc-1", "proc-2"} and by["proc-1"] >= 40
    assert by["proc-2"] == remaining
    assert_each_effect_once(container, [first, *incident_ids])
