"""Use-case: fill an empty store with the fictional demo force, Thornshire Constabulary.

Demo users are created with ``is_demo`` set, so they can log in only when the server runs in
demo mode (``THRIIVES_DEMO=true``). Every one has the password ``thriives-demo``:

| username     | role              |
|--------------|-------------------|
| handler      | call_handler      |
| dispatcher   | dispatcher        |
| supervisor   | supervisor        |
| protection   | public_protection |
| analyst      | analyst           |
| admin        | admin             |

All data is synthetic (see ``thriives.domain.demo_force``); nothing here names a real
person, address or phone number.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from thriives.adapters.db.tables import (
    districts,
    events,
    incidents,
    reference_counters,
    stations,
    units,
    users,
)
from thriives.domain.accounts import Actor, Role
from thriives.domain.assessment import AdviceRecord, CallFacts, Rating, Submission, advice_due
from thriives.domain.audit_chain import Operation
from thriives.domain.categories import CategoryPolicy
from thriives.domain.demo_force import DemoForce, build_force
from thriives.domain.demo_history import PastIncident, PolicyCodes, build_history
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.incidents import Channel, Contact, Status
from thriives.domain.references import format_reference
from thriives.services.demo_intel import seed_intel

if TYPE_CHECKING:  # the composition root imports services, not the other way round
    from thriives.bootstrap import Container

DEMO_PASSWORD = "thriives-demo"
DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    ("handler", Role.CALL_HANDLER, "Demo Call Handler"),
    ("dispatcher", Role.DISPATCHER, "Demo Dispatcher"),
    ("supervisor", Role.SUPERVISOR, "Demo Control Room Supervisor"),
    ("protection", Role.PUBLIC_PROTECTION, "Demo Public Protection Officer"),
    ("analyst", Role.ANALYST, "Demo Analyst"),
    ("admin", Role.ADMIN, "Demo Administrator"),
)
# The control room works in four watches; the history's calls were taken by these handlers
# (``handler`` among them), each with their own habits, so the supervision figures differ.
WATCHES = ("Red watch", "Blue watch", "Green watch", "Amber watch")
DEMO_TEAMS = {"handler": WATCHES[0], "dispatcher": WATCHES[0], "supervisor": WATCHES[0]}
HISTORY_HANDLERS = tuple(f"handler{n}" for n in range(2, 13))
BATCH = 2_000  # incidents per transaction: big enough to be fast, small enough to show progress
ACTOR = "system"
# Incident ids are derived from the reference, so the same seed gives the same ids.
ID_NAMESPACE = uuid.UUID("6f1c1d0e-5b7a-4c53-9d0b-7468726969a5")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoSeeded:
    users: int
    units: int
    incidents: int
    events: int
    people: int = 0  # on the legacy intelligence records


def seed_demo(
    container: Container,
    seed: int,
    as_of: datetime,
    incidents: int = 52_000,
    progress: Progress | None = None,
    people: int = 20_000,
) -> DemoSeeded:
    """Fill an empty store with the demo force and a year of closed incidents before ``as_of``.

    1. Refuse (Conflict) unless the store has no users and no incidents, so that running it
       twice never duplicates anything.
    2. Create one demo user per role through the account service (each audited).
    3. Insert districts, stations and units in one transaction.
    4. Insert the history in batches of ``BATCH`` incidents, each with its ``incident.opened``
       and ``incident.closed`` events, in one transaction per batch. Each batch writes one
       ``collection`` audit entry first, which takes the journal lock, so the batch's events
       and the audit chain stay in order with any other writer.
    5. Number incidents per local day from the store's counters and write the counters in
       the same transaction, so a live incident opened later on a seeded day takes the next
       number.
    6. Report ``progress(done, total)`` after each batch.
    7. Load the legacy intelligence records: ``people`` generated people and the DA
       households' victims and perpetrators (``services.demo_intel``), in one transaction.
    8. Open a handful of live calls from the last hour through the incident service, so
       the live queue has work on it (a domestic-abuse household's call among them).
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime")
    _require_empty(container)
    now = container.clock()
    for username, role, display_name in DEMO_USERS:
        container.accounts.add_user(
            username,
            display_name,
            role,
            DEMO_PASSWORD,
            now,
            by=ACTOR,
            is_demo=True,
            team=DEMO_TEAMS.get(username),
        )
    for n, username in enumerate(HISTORY_HANDLERS, start=1):
        container.accounts.add_user(
            username,
            f"Demo Call Handler {n + 1}",
            Role.CALL_HANDLER,
            DEMO_PASSWORD,
            now,
            by=ACTOR,
            is_demo=True,
            team=WATCHES[n % len(WATCHES)],
        )
    force = build_force(seed)
    _insert_force(container, force)
    _place_units(container, force, seed)
    with container.uow() as uow:
        takers = [uow.users.by_username(name) for name in ("handler", *HISTORY_HANDLERS)]
    zone = ZoneInfo(container.settings.force_timezone)
    writer = _HistoryWriter(container, [t for t in takers if t is not None], zone, seed)
    history = build_history(force, seed, as_of, policy_codes(container.policy), incidents, zone)
    done = 0
    for number, batch in enumerate(_batches(history, BATCH), start=1):
        writer.write(batch, number, now)
        done += len(batch)
        if progress is not None:
            progress(done, incidents + people)
    on_record = seed_intel(container, force, seed, as_of, people)
    if progress is not None:
        progress(done + people, incidents + people)
    live = _open_live_calls(container, force, seed, as_of)
    _open_appointment_slots(container, force, as_of)
    _draw_last_months_sample(container, seed, as_of)
    with container.uow() as uow:
        events_written = uow.connection.execute(select(func.count()).select_from(events)).scalar_one()
    users = len(DEMO_USERS) + len(HISTORY_HANDLERS)
    return DemoSeeded(users, len(force.units), done + live, events_written, on_record)


# Live calls on the queue when the demo starts: (minutes ago, channel, category, qualifiers,
# ASB type, words). The first is from a domestic-abuse household.
LIVE_CALLS = (
    (
        4,
        Channel.EMERGENCY,
        "domestic_incident",
        ("domestic", "child"),
        None,
        "He's come back. He's banging on the door and the kids are crying. Please hurry.",
    ),
    (
        11,
        Channel.EMERGENCY,
        "rtc_injury",
        (),
        None,
        "Two cars have hit each other at the junction, one driver isn't moving.",
    ),
    (
        17,
        Channel.NON_EMERGENCY,
        "asb_neighbours",
        ("repeat_victim",),
        "personal",
        "The neighbours are shouting abuse at me again, third time this week.",
    ),
    (
        26,
        Channel.EMERGENCY,
        "concern_for_safety",
        ("vulnerable_adult",),
        None,
        "My dad has dementia and he's gone out without his coat, it's freezing.",
    ),
    (
        38,
        Channel.ONLINE,
        "crime_vehicle",
        (),
        None,
        "Someone smashed my car window overnight and took a bag from the back seat.",
    ),
)


def _open_live_calls(container: Container, force: DemoForce, seed: int, as_of: datetime) -> int:
    rng = random.Random(f"live-{seed}")
    people = force.population
    with container.uow() as uow:
        row = uow.users.by_username("handler")
    assert row is not None
    actor = Actor(row["id"], row["username"], Role(row["role"]), row["display_name"])
    victims = [case.victim for case in people.abuse_cases] or [0]
    refs: list[str] = []
    for index, (minutes, channel, category, qualifiers, asb, words) in enumerate(LIVE_CALLS):
        person = rng.choice(victims) if index == 0 else rng.randrange(len(people.people))
        household = people.people[person].household
        street = people.streets[people.households[household].street]
        received = as_of - timedelta(minutes=minutes)
        opened = container.incidents.open(
            actor,
            Contact(
                channel=channel,
                received_at=received,
                opening_category=category,
                qualifiers=qualifiers,
                asb_qualifier=asb,
                caller_name=people.people[person].name,
                caller_phone=people.phone(person),
                location_text=people.address(household),
                postcode=street.postcode,
                latitude=street.latitude,  # so each unit's distance to it differs
                longitude=street.longitude,
                account=words,
            ),
            max(received, container.clock()),
        )
        refs.append(opened.incident["reference"])
    _assess_live_calls(container, actor, refs)
    return len(LIVE_CALLS)


# Live calls already assessed when the demo starts, so the board has clocks running: call
# index, raised factor levels (others low), indicators. The first call (domestic abuse) is
# left for the user to search and assess.
LIVE_ASSESSMENTS: tuple[tuple[int, dict[str, str], frozenset[str], tuple[str, str] | None], ...] = (
    (1, {"harm": "high", "risk": "medium"}, frozenset({"rtc_injury"}), None),
    # The handler downgrades this one, with a reason: it waits for a supervisor's decision.
    (
        2,
        {"vulnerability": "medium"},
        frozenset(),
        ("scheduled", "caller is safe indoors tonight and asked to be seen tomorrow"),
    ),
    (3, {"vulnerability": "high", "risk": "medium"}, frozenset({"vulnerable_person"}), None),
    (4, {}, frozenset(), None),
)


def _assess_live_calls(container: Container, actor: Actor, refs: list[str]) -> None:
    policy = container.assessment_policy
    model = policy.models[policy.default_model]
    for index, raised, indicators, override in LIVE_ASSESSMENTS:
        with container.uow() as uow:
            row = uow.incidents.require(refs[index])
        facts = CallFacts(row["opening_category"], frozenset(row["qualifiers"]), row["channel"])
        ratings = {
            f.code: Rating(raised.get(f.code, "low"), f"{f.name}: as the caller described (demo)")
            for f in model.factors
        }
        advice = {code: AdviceRecord(True) for code in advice_due(facts, policy)}
        grade, why = override or (None, None)
        submission = Submission(
            model.code, ratings, indicators=indicators, advice=advice, grade=grade, override_reason=why
        )
        container.assessments.assess(actor, refs[index], submission, container.clock())


def _draw_last_months_sample(container: Container, seed: int, as_of: datetime) -> None:
    """The supervisors' random review sample of last month's calls, from a recorded seed."""
    with container.uow() as uow:
        row = uow.users.by_username("supervisor")
    assert row is not None
    actor = Actor(row["id"], row["username"], Role(row["role"]), row["display_name"])
    local = as_of.astimezone(ZoneInfo(container.settings.force_timezone))
    month = (local.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    container.supervision.draw_sample(actor, month, f"demo-{seed}-{month}", max(as_of, container.clock()))


SLOT_DAYS = 7
SLOT_CAPACITY = 4


def _open_appointment_slots(container: Container, force: DemoForce, as_of: datetime) -> int:
    """Appointment capacity for each district and shift over the next week; how many opened
    (each with its event)."""
    opened = 0
    with container.uow() as uow:
        row = uow.users.by_username("supervisor")
    assert row is not None
    actor = Actor(row["id"], row["username"], Role(row["role"]), row["display_name"])
    zone = ZoneInfo(container.settings.force_timezone)
    today = max(as_of, container.clock()).astimezone(zone).date()
    for offset in range(SLOT_DAYS):
        day = today + timedelta(days=offset)
        for district in force.districts:
            for shift in container.reassessments.policy.shifts:
                try:
                    container.reassessments.open_slots(
                        actor, district.code, day, shift, SLOT_CAPACITY, container.clock()
                    )
                    opened += 1
                except DomainError:
                    continue  # a shift already over today
    return opened


def policy_codes(policy: CategoryPolicy) -> PolicyCodes:
    return PolicyCodes(
        {code: category.chapter for code, category in policy.categories.items()},
        tuple(policy.qualifiers),
        tuple(policy.closure_reasons),
    )


def _require_empty(container: Container) -> None:
    with container.uow() as uow:
        found_users = uow.connection.execute(select(func.count()).select_from(users)).scalar_one()
        found_incidents = uow.incidents.count()
    if found_users or found_incidents:
        raise Conflict(
            f"the store already holds {found_users} users and {found_incidents} incidents; "
            "the demo force is only loaded into an empty store"
        )


def _insert_force(container: Container, force: DemoForce) -> None:
    where = {s.code: (s.latitude, s.longitude) for s in force.stations}  # units start at their station
    with container.uow(write=True) as uow:
        connection = uow.connection
        connection.execute(
            insert(districts), [{"code": d.code, "name": d.name, "kind": d.kind} for d in force.districts]
        )
        connection.execute(
            insert(stations),
            [
                {
                    "code": s.code,
                    "name": s.name,
                    "district_code": s.district_code,
                    "latitude": s.latitude,
                    "longitude": s.longitude,
                }
                for s in force.stations
            ],
        )
        connection.execute(
            insert(units),
            [
                {
                    "call_sign": u.call_sign,
                    "unit_type": u.unit_type,
                    "station_code": u.station_code,
                    "skills": list(u.skills),
                    "status": u.status,
                    "latitude": where[u.station_code][0],
                    "longitude": where[u.station_code][1],
                    "version": 1,
                }
                for u in force.units
            ],
        )
        uow.commit()


def _place_units(container: Container, force: DemoForce, seed: int) -> None:
    """Give the units last known positions: most on patrol a few kilometres from their
    station, reported in the last quarter hour; some with an old report, and some with none,
    so recommendations measure from both and say which."""
    rng = random.Random(f"positions-{seed}")
    station = {s.code: (s.latitude, s.longitude) for s in force.stations}
    now = container.clock()
    with container.uow(write=True) as uow:
        for n, unit in enumerate(force.units):
            if unit.status != "available" or n % 5 == 4:
                continue  # off duty, or never reported: measured from the station
            lat, lon = station[unit.station_code]
            lat, lon = lat + rng.uniform(-0.04, 0.04), lon + rng.uniform(-0.06, 0.06)
            minutes = rng.uniform(1, 15) if n % 7 else rng.uniform(90, 180)  # a few stale
            uow.backups.set_position(
                unit.call_sign, round(lat, 5), round(lon, 5), now - timedelta(minutes=minutes)
            )
        uow.commit()


def _batches(items: Iterable[PastIncident], size: int) -> Iterator[list[PastIncident]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class _HistoryWriter:
    """Writes history batches, numbering incidents from per-day counters kept in memory.

    The counters start from what the store holds (nothing, in an empty store), and the
    history arrives oldest first, so numbers follow the time of the call within each day.
    """

    def __init__(self, container: Container, takers: list[dict[str, Any]], zone: ZoneInfo, seed: int) -> None:
        self._container = container
        self._takers = takers
        self._zone = zone
        # Each handler's habits: how often they complete the assessment and search history.
        habits = random.Random(f"handler-habits-{seed}")
        self._habits = [(habits.uniform(0.82, 0.995), habits.uniform(0.55, 0.97)) for _ in takers]
        self._pick = random.Random(f"history-takers-{seed}")
        self._prefix = container.settings.reference_prefix
        self._version = container.policy.version
        with container.uow() as uow:
            rows = uow.connection.execute(select(reference_counters)).all()
        self._counters: dict[str, int] = {row.day: int(row.last_number) for row in rows}

    def write(self, batch: list[PastIncident], number: int, now: datetime) -> None:
        touched: set[str] = set()
        takers = [self._pick.randrange(len(self._takers)) for _ in batch]
        rows = [
            self._row(past, touched, self._takers[t]["id"]) for past, t in zip(batch, takers, strict=True)
        ]
        timeline = [event for row, past in zip(rows, batch, strict=True) for event in _events(row, past)]
        facts = [self._facts(row, t) for row, t in zip(rows, takers, strict=True)]
        with self._container.uow(write=True) as uow:
            uow.journal.audit(
                now,
                ACTOR,
                Operation.COLLECTION,
                "demo_import",
                f"batch-{number:04d}",
                "synthetic demo data",
                {
                    "count": len(rows),
                    "first_reference": rows[0]["reference"],
                    "last_reference": rows[-1]["reference"],
                },
            )
            uow.connection.execute(insert(incidents), rows)
            for event in timeline:  # sealed into the events' chain, as the live service's are
                uow.journal.event(**event)
            uow.supervision.add_many_facts(facts)
            _save_counters(uow.connection, {day: self._counters[day] for day in sorted(touched)})
            uow.commit()

    def _facts(self, row: dict[str, Any], taker: int) -> dict[str, Any]:
        """The history's QA facts, as the legacy system recorded them: whether the call was
        assessed and history searched follows its handler's habits (drawn from the seed)."""
        assessed_rate, searched_rate = self._habits[taker]
        user = self._takers[taker]
        keeper = self._container.supervision.facts
        draw = self._pick.random(), self._pick.random()
        return keeper.row(row["id"], row["received_at"], user["username"], user["team"]) | {
            "assessed": int(draw[0] < assessed_rate),
            "searched": int(draw[1] < searched_rate),
            "closed": 1,
            "same_category": int(row["closing_category"] == row["opening_category"]),
            "category_reviews": 0,
            "category_correct": 0,
            "tasks": 0,
            "tasks_on_time": 0,
            "reviews": 0,
            "score_total": 0,
        }

    def _row(self, past: PastIncident, touched: set[str], created_by: int) -> dict[str, Any]:
        day: date = past.received_at.astimezone(self._zone).date()
        key = f"{day:%y%m%d}"
        self._counters[key] = self._counters.get(key, 0) + 1
        touched.add(key)
        reference = format_reference(self._prefix, day, self._counters[key])
        return {
            "id": str(uuid.uuid5(ID_NAMESPACE, reference)),
            "reference": reference,
            "status": Status.CLOSED.value,
            "channel": past.channel,
            "received_at": past.received_at,
            "opening_category": past.opening_category,
            "qualifiers": list(past.qualifiers),
            "asb_qualifier": past.asb_qualifier,
            "caller_name": past.caller_name,
            "caller_phone": past.caller_phone,
            "location_text": past.location_text,
            "postcode": past.postcode,
            "latitude": past.latitude,
            "longitude": past.longitude,
            "account": past.account,
            "closing_category": past.closing_category,
            "closure_reason": past.closure_reason,
            "closure_note": past.closure_note,
            "policy_version": self._version,
            "created_by": created_by,
            "created_at": past.received_at,
            "updated_at": past.closed_at,
            "version": 2,
        }


def _events(row: dict[str, Any], past: PastIncident) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two events the live service would have written: opened, then closed."""
    opened = {
        "reference": row["reference"],
        "status": Status.OPEN.value,
        "channel": row["channel"],
        "opening_category": row["opening_category"],
        "qualifiers": row["qualifiers"],
    }
    closed = {
        "status": Status.CLOSED.value,
        "closing_category": past.closing_category,
        "closure_reason": past.closure_reason,
        "closure_note": past.closure_note,
    }
    before = {
        "status": Status.OPEN.value,
        "closing_category": None,
        "closure_reason": None,
        "closure_note": None,
    }
    return (
        {
            "at": past.received_at,
            "incident_id": row["id"],
            "actor": "handler",
            "kind": "incident.opened",
            "data": {"after": opened},
        },
        {
            "at": past.closed_at,
            "incident_id": row["id"],
            "actor": "dispatcher",
            "kind": "incident.closed",
            "data": {"before": before, "after": closed, "reason": past.closure_note},
        },
    )


def _save_counters(connection: Connection, counters: dict[str, int]) -> None:
    """Upsert each day's last number; the batch's numbers are always the highest so far."""
    if not counters:
        return
    module: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = module.insert(reference_counters)
    statement = statement.on_conflict_do_update(
        index_elements=[reference_counters.c.day],
        set_={"last_number": statement.excluded.last_number},
    )
    connection.execute(statement, [{"day": d, "last_number": n} for d, n in counters.items()])
