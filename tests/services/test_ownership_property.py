"""Ownership as a stateful property, on both stores: whatever the control room does, in any
order, every live incident has an owner, its status agrees with its units, no unit is on two
incidents, and a restart changes nothing.

A hypothesis state machine drives the real services (opening, grading, assigning a first
and a second unit, moving, taking away, handing over, requesting backup, reporting
positions, cutting off, reassessing, closing, reopening, firing deadlines and restarting
the application) and keeps a small model of who holds what. After every step the database
is read directly and must show:

- an open or graded incident is held by no unit (it sits in a queue);
- a dispatched incident is held by one or more units, none at scene;
- an incident at scene is held by one or more units, at least one at scene;
- a closed incident is held by nothing;
- an available or unavailable unit holds nothing, and a committed unit holds a live
  incident through exactly one open assignment to it (so no unit is on two incidents);
- no open assignment or open backup request is orphaned (every open assignment is its
  unit's current one; every open backup request is on a live incident);
- an incident has at most one open reassessment task, and no deadline failed;
- and the store agrees with the model.

A refused attempt must raise a ``DomainError`` and leave every table as it was. Each
example runs on a new database made from the session's migrated template (a database per
example, so examples never see each other's incidents, units or deadlines).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import create_engine, func, insert, select, text

from tests.conftest import PASSWORD, FakeClock, test_settings
from thriives.adapters.db.dispatch_tables import assignments, backup_requests, deadlines, reassessments
from thriives.adapters.db.tables import assessments, audit_log, districts, events, incidents, stations, units
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Actor, Role
from thriives.domain.assessment import AdviceRecord, CallFacts, Rating, Submission, advice_due
from thriives.domain.dispatch import UnitStatus
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.incidents import Channel, Contact, Status
from thriives.domain.reassessment import Completion

T = TypeVar("T")
NewDatabase = Callable[[], tuple[str, Callable[[], None]]]

# Two districts, a station in each, four units (one starts off duty).
URBAN_STATION = (52.0, -1.0)
RURAL_STATION = (52.4, -1.6)
DISTRICTS = {"town": "urban", "hills": "rural"}
STATIONS = {"URS": ("town", URBAN_STATION), "RUS": ("hills", RURAL_STATION)}
UNITS = {
    "TA01": ("URS", ["da_trained", "taser"], UnitStatus.AVAILABLE),
    "TA02": ("URS", [], UnitStatus.AVAILABLE),
    "TB01": ("RUS", ["firearms"], UnitStatus.AVAILABLE),
    "TB02": ("RUS", [], UnitStatus.UNAVAILABLE),
}
CALL_SIGNS = sorted(UNITS)
COMMITTED = {UnitStatus.ASSIGNED, UnitStatus.EN_ROUTE, UnitStatus.AT_SCENE}
HELD = {Status.DISPATCHED, Status.AT_SCENE}
SENDABLE = {Status.GRADED, *HELD}  # incidents a unit may be sent to
# A unit's own moves, written out here rather than read from the code under test.
OWN_MOVES = {
    UnitStatus.AVAILABLE: {UnitStatus.UNAVAILABLE},
    UnitStatus.UNAVAILABLE: {UnitStatus.AVAILABLE},
    UnitStatus.ASSIGNED: {UnitStatus.EN_ROUTE, UnitStatus.AT_SCENE},
    UnitStatus.EN_ROUTE: {UnitStatus.AT_SCENE},
    UnitStatus.AT_SCENE: set(),
}
CATEGORIES = [
    ("domestic_incident", ("domestic",)),  # always emergency; reassessment always mandatory
    ("crime_burglary", ()),
    ("concern_for_safety", ()),
]
WHERE = [URBAN_STATION, (52.02, -1.01), (52.38, -1.58), None]
# Reported unit positions: in the UK, or not (Paris, the Atlantic), or one coordinate only.
POSITIONS = [
    (52.01, -1.0, True),
    (52.39, -1.59, True),
    (48.85, 2.35, False),
    (52.0, -20.0, False),
    (52.0, None, False),
]
LEVELS = [{}, {"risk": "medium"}, {"vulnerability": "medium"}, {"threat": "high"}]
Levels = dict[str, str]
Call = tuple[str, tuple[str, ...], tuple[float, float] | None, Levels | None]
A_CALL = st.tuples(
    st.sampled_from(CATEGORIES), st.sampled_from(WHERE), st.none() | st.sampled_from(LEVELS)
).map(lambda t: (t[0][0], t[0][1], t[1], t[2]))
AIM = st.sampled_from([True, True, True, False])  # mostly at something the rule may act on
STARTS = [
    datetime(2026, 11, 26, 21, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 20, tzinfo=UTC),  # the clocks go back within the hour
    datetime(2026, 3, 29, 0, 20, tzinfo=UTC),  # the clocks go forward within the hour
]


# --- a new database per example ---------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """Makes a freshly migrated, empty database on demand; returns its URL and how to drop it."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")

        def copy() -> tuple[str, Callable[[], None]]:
            path = tmp_path / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)

        yield copy
        return
    base = request.getfixturevalue("postgres_base")
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def drop(name: str) -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        made.remove(name)

    def create() -> tuple[str, Callable[[], None]]:
        name = f"own_{uuid.uuid4().hex[:16]}"
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name} TEMPLATE thriives_template"))
        made.append(name)
        return f"{base}/{name}", lambda: drop(name)

    try:
        yield create
    finally:
        for name in list(made):  # any an interrupted example left behind
            drop(name)
        admin.dispose()


# --- the machine ------------------------------------------------------------------------------


def seed_force(container: Container) -> None:
    """Two districts with a station each, and the units, written straight into the tables."""
    with container.uow(write=True) as uow:
        c = uow.connection
        c.execute(
            insert(districts), [{"code": d, "name": d.title(), "kind": k} for d, k in DISTRICTS.items()]
        )
        c.execute(
            insert(stations),
            [
                {"code": code, "name": code, "district_code": district, "latitude": lat, "longitude": lon}
                for code, (district, (lat, lon)) in STATIONS.items()
            ],
        )
        c.execute(
            insert(units),
            [
                {
                    "call_sign": call_sign,
                    "unit_type": "response",
                    "station_code": station,
                    "skills": skills,
                    "status": status.value,
                    "latitude": STATIONS[station][1][0],  # units start at their station
                    "longitude": STATIONS[station][1][1],
                    "version": 1,
                }
                for call_sign, (station, skills, status) in UNITS.items()
            ],
        )
        uow.commit()


def add_person(container: Container, username: str, role: Role) -> Actor:
    user_id = container.accounts.add_user(username, username.title(), role, PASSWORD, container.clock())
    return Actor(user_id, username, role, username.title())


class Ownership(RuleBasedStateMachine):
    new_database: NewDatabase  # set for each store by the test

    def __init__(self) -> None:
        super().__init__()
        self.url, self._drop = self.new_database()
        self.clock = FakeClock()
        self.container = build(test_settings(self.url), clock=self.clock)
        seed_force(self.container)
        self.handler = add_person(self.container, "handler", Role.CALL_HANDLER)
        self.dispatcher = add_person(self.container, "dispatcher", Role.DISPATCHER)
        self.supervisor = add_person(self.container, "supervisor", Role.SUPERVISOR)
        # The model: each incident's status, each unit's status and what it holds.
        self.status: dict[str, Status] = {}
        self.units: dict[str, tuple[UnitStatus, str | None]] = {c: (u[2], None) for c, u in UNITS.items()}
        self.category: dict[str, str] = {}
        self.backup: dict[str, int] = {}  # further units still wanted by an open backup request

    def teardown(self) -> None:
        self.container.close()
        self._drop()

    # ---- helpers ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything a refused attempt must leave as it was."""
        with self.container.uow() as uow:
            c = uow.connection
            return {
                "incidents": c.execute(
                    select(
                        incidents.c.reference, incidents.c.status, incidents.c.grade, incidents.c.version
                    ).order_by(incidents.c.reference)
                ).all(),
                "units": c.execute(
                    select(
                        units.c.call_sign,
                        units.c.status,
                        units.c.incident_id,
                        units.c.version,
                        units.c.last_latitude,
                        units.c.last_longitude,
                        units.c.position_at,
                    ).order_by(units.c.call_sign)
                ).all(),
                "backups": c.execute(
                    select(backup_requests.c.id, backup_requests.c.status, backup_requests.c.sent).order_by(
                        backup_requests.c.id
                    )
                ).all(),
                "tasks": c.execute(
                    select(reassessments.c.id, reassessments.c.status, reassessments.c.triggers).order_by(
                        reassessments.c.id
                    )
                ).all(),
                "deadlines": c.execute(
                    select(deadlines.c.id, deadlines.c.state).order_by(deadlines.c.id)
                ).all(),
                "counts": [
                    c.execute(select(func.count()).select_from(table)).scalar_one()
                    for table in (assignments, assessments, events, audit_log)
                ],
            }

    def attempt(
        self, allowed: bool, action: Callable[[], T], refusal: type[DomainError] = DomainError
    ) -> T | None:
        """Run an action the model says is allowed, or check that a refused one changed nothing."""
        if allowed:
            return action()
        before = self.snapshot()
        with pytest.raises(refusal):
            action()
        assert self.snapshot() == before
        return None

    def holders(self, reference: str) -> list[str]:
        return [c for c, (_, held) in self.units.items() if held == reference]

    def follow_units(self, reference: str) -> None:
        """The model's rule: an incident's status follows its units."""
        on = {status for status, held in self.units.values() if held == reference}
        if UnitStatus.AT_SCENE in on:
            self.status[reference] = Status.AT_SCENE
        elif on:
            self.status[reference] = Status.DISPATCHED
        else:
            self.status[reference] = Status.GRADED

    def open_task(self, reference: str) -> dict[str, Any] | None:
        with self.container.uow() as uow:
            incident = uow.incidents.require(reference)
            return uow.dispatch.open_task(incident["id"])

    def done_task(self, reference: str) -> dict[str, Any] | None:
        with self.container.uow() as uow:
            incident = uow.incidents.require(reference)
            done = [t for t in uow.dispatch.tasks_of(incident["id"]) if t["status"] == "done"]
        return done[-1] if done else None

    def assess(self, reference: str, levels: dict[str, str]) -> int:
        with self.container.uow() as uow:
            incident = uow.incidents.require(reference)
        facts = CallFacts(
            incident["opening_category"], frozenset(incident["qualifiers"]), incident["channel"]
        )
        policy = self.container.assessment_policy
        submission = Submission(
            model="thriives",
            ratings={
                f.code: Rating(levels.get(f.code, "low"), f"{f.name}: as the caller said")
                for f in policy.models["thriives"].factors
            },
            advice={code: AdviceRecord(True) for code in advice_due(facts, policy)},
            # A regrade below the incident's current grade is a downgrade: it needs a reason.
            override_reason="circumstances changed since the last assessment",
        )
        version = self.container.assessments.assess(self.handler, reference, submission, self.clock()).version
        if self.status[reference] is Status.OPEN:
            self.status[reference] = Status.GRADED
        return version

    # ---- rules --------------------------------------------------------------------------------
    # Each rule draws what it acts on, and most of the time aims at an incident or unit the
    # model says it may act on (so a run gets somewhere), otherwise at any (to check refusals).

    def choose(self, data: st.DataObject, among: list[str], fits: Callable[[str], bool], label: str) -> str:
        aimed = [x for x in among if fits(x)]
        if aimed and data.draw(AIM, label=f"aim at a {label} it may act on"):
            return data.draw(st.sampled_from(aimed), label=label)
        return data.draw(st.sampled_from(among), label=label)

    def incident(self, data: st.DataObject, fits: Callable[[Status], bool]) -> str:
        return self.choose(data, list(self.status), lambda r: fits(self.status[r]), "incident")

    def unit(self, data: st.DataObject, fits: Callable[[UnitStatus], bool], label: str = "unit") -> str:
        return self.choose(data, CALL_SIGNS, lambda c: fits(self.units[c][0]), label)

    def committed(self) -> bool:
        return any(status in COMMITTED for status, _ in self.units.values())

    def with_open_task(self) -> set[str]:
        with self.container.uow() as uow:
            rows = uow.connection.execute(
                select(incidents.c.reference)
                .join(reassessments, reassessments.c.incident_id == incidents.c.id)
                .where(reassessments.c.status == "open")
            )
            return {row.reference for row in rows}

    def held_open(self) -> set[str]:
        """Incidents that may not close: an open reassessment task, or a downgrade waiting
        for a supervisor's decision (domain/closing.py; the closing rules have tests of their own)."""
        held = self.with_open_task()
        with self.container.uow() as uow:
            for reference, status in self.status.items():
                if status is not Status.CLOSED:
                    incident_id = uow.incidents.require(reference)["id"]
                    if "downgrade" in uow.supervision.open_kinds(incident_id):
                        held.add(reference)
            return held

    @initialize(start=st.sampled_from(STARTS), calls=st.lists(A_CALL, min_size=2, max_size=4))
    def calls_are_waiting(self, start: datetime, calls: list[Call]) -> None:
        """Every run starts with a few calls in, some already graded."""
        self.clock.now = start
        for call in calls:
            self.open_incident(*call)

    @rule(call=A_CALL)
    def a_call_comes_in(self, call: Call) -> None:
        self.open_incident(*call)

    def open_incident(
        self,
        category: str,
        qualifiers: tuple[str, ...],
        where: tuple[float, float] | None,
        grade: Levels | None,
    ) -> None:
        contact = Contact(
            channel=Channel.EMERGENCY,
            received_at=self.clock(),
            opening_category=category,
            qualifiers=qualifiers,
            latitude=where[0] if where else None,
            longitude=where[1] if where else None,
            account="Please send someone.",
        )
        opened = self.container.incidents.open(self.handler, contact, self.clock()).incident
        self.status[opened["reference"]] = Status.OPEN
        self.category[opened["reference"]] = category
        if grade is not None:  # the handler graded it straight away
            self.assess(opened["reference"], grade)

    @rule(data=st.data())
    def grade(self, data: st.DataObject) -> None:
        reference = self.incident(data, lambda s: s is Status.OPEN)
        levels = data.draw(st.sampled_from(LEVELS), label="levels")
        self.attempt(self.status[reference] is not Status.CLOSED, lambda: self.assess(reference, levels))

    @rule(data=st.data())
    def assign(self, data: st.DataObject) -> None:
        self.send(data, lambda s: s is Status.GRADED)

    @precondition(lambda self: any(s in HELD for s in self.status.values()))
    @rule(data=st.data())
    def assign_a_further_unit(self, data: st.DataObject) -> None:
        """Another unit to an incident its units already hold (or, aimed badly, one on it)."""
        self.send(data, lambda s: s in HELD)

    def send(self, data: st.DataObject, fits: Callable[[Status], bool]) -> None:
        reference = self.incident(data, fits)
        call_sign = self.unit(data, lambda s: s is UnitStatus.AVAILABLE)
        allowed = self.status[reference] in SENDABLE and self.units[call_sign][0] is UnitStatus.AVAILABLE
        now = self.clock()
        if self.attempt(
            allowed,
            lambda: self.container.dispatch.assign(
                self.dispatcher, reference, call_sign, "nearest free unit", now
            ),
        ):
            self.units[call_sign] = (UnitStatus.ASSIGNED, reference)
            self.follow_units(reference)
            if reference in self.backup:
                self.backup[reference] -= 1
                if self.backup[reference] == 0:
                    del self.backup[reference]

    @rule(
        data=st.data(), wanted=st.integers(min_value=1, max_value=2), skills=st.sampled_from([[], ["taser"]])
    )
    def request_backup(self, data: st.DataObject, wanted: int, skills: list[str]) -> None:
        reference = self.incident(data, lambda s: s in SENDABLE)
        allowed = self.status[reference] in SENDABLE and reference not in self.backup
        now = self.clock()
        if self.attempt(
            allowed,
            lambda: self.container.dispatch.units.request_backup(
                self.dispatcher, reference, wanted, skills, "more hands needed", now
            ),
        ):
            self.backup[reference] = wanted

    @precondition(lambda self: bool(self.backup))
    @rule(data=st.data())
    def cancel_backup(self, data: st.DataObject) -> None:
        reference = self.choose(data, list(self.status), lambda r: r in self.backup, "incident")
        now = self.clock()
        if self.attempt(
            reference in self.backup,
            lambda: self.container.dispatch.units.cancel_backup(
                self.dispatcher, reference, "calmer now", now
            ),
        ):
            del self.backup[reference]

    @rule(call_sign=st.sampled_from(CALL_SIGNS), where=st.sampled_from(POSITIONS))
    def a_unit_reports_its_position(self, call_sign: str, where: tuple[float, float | None, bool]) -> None:
        lat, lon, inside = where
        now = self.clock()
        self.attempt(
            inside,
            lambda: self.container.dispatch.units.report_position(
                self.dispatcher, call_sign, lat, lon, None, now
            ),
        )

    @rule(data=st.data())
    def move_unit(self, data: st.DataObject) -> None:
        call_sign = self.unit(data, lambda s: bool(OWN_MOVES[s]))
        status, held = self.units[call_sign]
        to_status = data.draw(st.sampled_from(sorted(OWN_MOVES[status]) or list(UnitStatus)), label="to")
        if not data.draw(AIM, label="aim at a move it may make"):
            to_status = data.draw(st.sampled_from(list(UnitStatus)), label="to")
        now = self.clock()
        if self.attempt(
            to_status in OWN_MOVES[status],
            lambda: self.container.dispatch.move(self.dispatcher, call_sign, to_status, now),
        ):
            self.units[call_sign] = (to_status, held)
            if held is not None:
                self.follow_units(held)

    @precondition(lambda self: self.committed())
    @rule(data=st.data())
    def take_unit_away(self, data: st.DataObject) -> None:
        call_sign = self.unit(data, lambda s: s in COMMITTED)
        off_duty = data.draw(st.booleans(), label="off duty")
        status, held = self.units[call_sign]
        now = self.clock()
        if self.attempt(
            status in COMMITTED,
            lambda: self.container.dispatch.take_away(
                self.dispatcher, call_sign, "diverted to a fight", now, off_duty
            ),
        ):
            assert held is not None
            self.units[call_sign] = (UnitStatus.UNAVAILABLE if off_duty else UnitStatus.AVAILABLE, None)
            self.follow_units(held)  # the others stay; graded only when none is left

    @precondition(lambda self: self.committed())
    @rule(data=st.data())
    def hand_over(self, data: st.DataObject) -> None:
        call_sign = self.unit(data, lambda s: s in COMMITTED)
        to = self.unit(data, lambda s: s is UnitStatus.AVAILABLE, "to unit")
        status, held = self.units[call_sign]
        allowed = status in COMMITTED and call_sign != to and self.units[to][0] is UnitStatus.AVAILABLE
        now = self.clock()
        if self.attempt(
            allowed,
            lambda: self.container.dispatch.hand_over(self.dispatcher, call_sign, to, "end of shift", now),
        ):
            self.units[call_sign] = (UnitStatus.AVAILABLE, None)
            self.units[to] = (UnitStatus.ASSIGNED, held)
            assert held is not None
            self.follow_units(held)

    @rule(data=st.data())
    def cut_off(self, data: st.DataObject) -> None:
        reference = self.incident(data, lambda s: s is not Status.CLOSED)
        now = self.clock()
        self.attempt(
            self.status[reference] is not Status.CLOSED,
            lambda: self.container.dispatch.cut_off(self.dispatcher, reference, now),
        )

    @rule(data=st.data())
    def complete_reassessment(self, data: st.DataObject) -> None:
        tasked = self.with_open_task()
        reference = self.choose(data, list(self.status), lambda r: r in tasked, "incident")
        task = self.open_task(reference)
        reassessments_ = self.container.reassessments
        now = self.clock()
        if task is None:
            done = self.done_task(reference)
            if done is not None:  # finishing a task twice is refused
                again = Completion("no_answer", None, (), None, None, None)
                self.attempt(
                    False, lambda: reassessments_.complete(self.dispatcher, done["id"], again, now), Conflict
                )
            return
        outcome = data.draw(st.sampled_from(["spoke_to_victim", "no_answer"]), label="contact")
        review = data.draw(st.booleans(), label="set a review")
        review_at = now + timedelta(minutes=30) if review or task["mandatory"] else None
        if task["mandatory"]:
            without = Completion(outcome, None, ("advice",), None, review_at, None)
            self.attempt(False, lambda: reassessments_.complete(self.dispatcher, task["id"], without, now))
            version = self.assess(reference, data.draw(st.sampled_from(LEVELS), label="levels"))
            record = Completion(outcome, "called back", ("advice",), None, review_at, version)
        else:
            record = Completion(outcome, None, (), None, review_at, None)
        reassessments_.complete(self.dispatcher, task["id"], record, now)

    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        tasked = self.held_open()
        reference = self.choose(
            data,
            list(self.status),
            lambda r: self.status[r] is not Status.CLOSED and r not in tasked,
            "incident",
        )
        allowed = self.status[reference] is not Status.CLOSED and reference not in tasked
        now = self.clock()
        category = self.category[reference]
        if self.attempt(
            allowed,
            lambda: self.container.incidents.close(
                self.supervisor,  # over any open review or unattended emergency (domain/closing.py)
                reference,
                category,
                "attended_resolved",
                "closed in the model",
                now,
                dash_exemption="caller hung up",
            ),
        ):
            self.status[reference] = Status.CLOSED
            for holder in self.holders(reference):  # closing frees every unit
                self.units[holder] = (UnitStatus.AVAILABLE, None)
            self.backup.pop(reference, None)  # and ends its backup request

    @precondition(lambda self: Status.CLOSED in self.status.values())
    @rule(data=st.data())
    def reopen(self, data: st.DataObject) -> None:
        reference = self.incident(data, lambda s: s is Status.CLOSED)
        now = self.clock()
        if self.attempt(
            self.status[reference] is Status.CLOSED,
            lambda: self.container.incidents.change_status(
                self.supervisor, reference, Status.OPEN, "rang back", now
            ),
        ):
            self.status[reference] = Status.OPEN

    @rule(data=st.data())
    def move_incident_by_hand(self, data: st.DataObject) -> None:
        """Dispatch moves and closing have use-cases of their own; a bare status change is refused."""
        reference = self.incident(data, lambda s: True)
        to_status = data.draw(
            st.sampled_from([Status.DISPATCHED, Status.AT_SCENE, Status.CLOSED]), label="to"
        )
        now = self.clock()
        self.attempt(
            False,
            lambda: self.container.incidents.change_status(self.dispatcher, reference, to_status, "x", now),
        )

    @rule(minutes=st.sampled_from([1, 4, 9, 16, 45, 90]), restart=st.booleans())
    def time_passes_and_deadlines_fire(self, minutes: int, restart: bool) -> None:
        """Time passes, perhaps with the application restarted meanwhile (so everything must
        come back from the store); then the worker fires whatever has fallen due."""
        self.clock.advance(minutes=minutes)
        if restart:
            self.container.close()
            self.container = build(test_settings(self.url), clock=self.clock)
        self.container.deadlines.fire_due(self.clock(), "worker-1")

    # ---- the invariant ------------------------------------------------------------------------

    @invariant()
    def every_live_incident_has_an_owner_and_follows_its_units(self) -> None:
        with self.container.uow() as uow:
            c = uow.connection
            status_of = {
                row.id: (row.reference, Status(row.status))
                for row in c.execute(select(incidents.c.id, incidents.c.reference, incidents.c.status))
            }
            unit_rows = c.execute(select(units.c.call_sign, units.c.status, units.c.incident_id)).all()
            open_assignments = c.execute(
                select(assignments.c.call_sign, assignments.c.incident_id).where(
                    assignments.c.ended_at.is_(None)
                )
            ).all()
            open_backups = c.execute(
                select(backup_requests.c.incident_id, backup_requests.c.units, backup_requests.c.sent).where(
                    backup_requests.c.status == "open"
                )
            ).all()
            open_tasks = c.execute(
                select(reassessments.c.incident_id, func.count())
                .where(reassessments.c.status == "open")
                .group_by(reassessments.c.incident_id)
            ).all()
            failed = c.execute(
                select(deadlines.c.kind, deadlines.c.error).where(deadlines.c.state == "failed")
            ).all()
        held_by: dict[str, list[tuple[str, UnitStatus]]] = {}
        for row in unit_rows:
            unit_status = UnitStatus(row.status)
            if unit_status in (UnitStatus.AVAILABLE, UnitStatus.UNAVAILABLE):
                assert row.incident_id is None, f"{row.call_sign} is {row.status} but holds an incident"
            else:
                assert row.incident_id is not None, f"{row.call_sign} is {row.status} but holds nothing"
                held_by.setdefault(row.incident_id, []).append((row.call_sign, unit_status))
        for incident_id, (reference, status) in status_of.items():
            holders = held_by.get(incident_id, [])
            on = {unit_status for _, unit_status in holders}
            if status in (Status.OPEN, Status.GRADED, Status.CLOSED):
                assert holders == [], f"{reference} is {status.value} but held by {holders}"
            elif status is Status.DISPATCHED:
                assert holders, f"{reference} is dispatched but held by no unit"
                assert UnitStatus.AT_SCENE not in on, f"{reference} is dispatched, yet {holders}"
            else:
                assert status is Status.AT_SCENE
                assert UnitStatus.AT_SCENE in on, f"{reference} is at scene, held by {holders}"
        assert set(held_by) <= set(status_of)
        # Every committed unit has exactly one open assignment, to the incident it holds;
        # no open assignment belongs to a unit that is not on that incident now.
        committed = {row.call_sign: row.incident_id for row in unit_rows if row.incident_id is not None}
        assert sorted((a.call_sign, a.incident_id) for a in open_assignments) == sorted(committed.items())
        # Open backup requests are on live incidents and still want a unit.
        for request in open_backups:
            assert status_of[request.incident_id][1] is not Status.CLOSED, request
            assert len(request.sent) < request.units, request
        assert all(count == 1 for _, count in open_tasks), open_tasks
        assert failed == [], failed
        # ... and the store says what the model says.
        assert {reference: status for reference, status in status_of.values()} == self.status
        stored_units = {
            row.call_sign: (
                UnitStatus(row.status),
                status_of[row.incident_id][0] if row.incident_id else None,
            )
            for row in unit_rows
        }
        assert stored_units == self.units
        assert {status_of[r.incident_id][0]: r.units - len(r.sent) for r in open_backups} == self.backup


def test_every_live_incident_has_an_owner_and_follows_its_units_whatever_happens(
    new_database: NewDatabase,
) -> None:
    machine = type("OwnershipOnThisStore", (Ownership,), {"new_database": staticmethod(new_database)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
