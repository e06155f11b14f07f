"""Seeding the demo force on both stores: counts, audit chain, refusal, reference numbering."""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

import thriives.services.demo as demo
from tests.conftest import FakeClock, People
from thriives.adapters.db.dispatch_tables import appointment_slots, follow_ups
from thriives.adapters.db.supervision_tables import qa_facts
from thriives.adapters.db.tables import audit_log, events, incidents, review_items, units, users
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Role
from thriives.domain.demo_force import build_force
from thriives.domain.errors import Conflict
from thriives.domain.incidents import Channel, Contact
from thriives.domain.references import format_reference
from thriives.services.audit import verify_audit
from thriives.services.demo import DEMO_USERS, seed_demo

SEED = 11
SMALL = 2_000
PEOPLE = 300


def count(container: Container, table: object) -> int:
    with container.uow() as uow:
        return int(
            uow.connection.execute(
                select(func.count()).select_from(table)  # type: ignore[arg-type]
            ).scalar_one()
        )


def test_seeding_fills_an_empty_store_in_batches(
    container: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "BATCH", 500)
    reports: list[tuple[int, int]] = []
    result = seed_demo(
        container, SEED, clock(), SMALL, lambda done, total: reports.append((done, total)), people=PEOPLE
    )
    total = SMALL + PEOPLE
    assert reports == [(500, total), (1_000, total), (1_500, total), (2_000, total), (total, total)]
    assert count(container, users) == result.users == len(DEMO_USERS) + len(demo.HISTORY_HANDLERS)
    assert count(container, units) == result.units == len(build_force(SEED).units)
    live = len(demo.LIVE_CALLS)
    assert count(container, incidents) == result.incidents == SMALL + live
    slots = count(container, appointment_slots)
    assert slots > 0
    assessed = len(demo.LIVE_ASSESSMENTS)
    queued = count(container, review_items) - 1  # each with an event, but the one downgrade
    samples = 1  # last month's sample drawn
    follow_ups_opened = count(container, follow_ups)  # live calls graded resolution: a follow-up each
    assert follow_ups_opened >= 1
    expected = 2 * SMALL + live + assessed + slots + queued + 1 + samples + follow_ups_opened
    assert count(container, events) == result.events == expected
    assert count(container, qa_facts) == SMALL + live  # every incident has its QA facts
    with container.uow() as uow:
        demo_users = uow.users.all()
        statuses = uow.connection.execute(select(incidents.c.status).distinct()).scalars().all()
        kinds = uow.connection.execute(select(events.c.kind, func.count()).group_by(events.c.kind)).all()
        imports = uow.connection.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.record_type == "demo_import")
        ).scalar_one()
    assert sorted((u["username"], u["role"]) for u in demo_users) == sorted(
        [(name, role.value) for name, role, _ in DEMO_USERS]
        + [(name, "call_handler") for name in demo.HISTORY_HANDLERS]
    )
    assert all(u["is_demo"] for u in demo_users)
    assert sorted(statuses) == ["closed", "graded", "open"]  # history closed; live calls open or graded
    assert dict(kinds) == {
        "incident.opened": SMALL + live,
        "incident.closed": SMALL,
        "appointment.slot_opened": slots,
        "incident.assessed": assessed,
        "review.queued": queued,
        "review.downgrade_requested": 1,
        "review.sample_drawn": samples,
        "follow_up.opened": follow_ups_opened,
    }
    assert imports == 5  # four batches of incidents, one of intelligence records
    # The live calls have places and the units last known positions, so recommendations
    # differ, and each says what it measured from.
    with container.uow() as uow:
        dispatcher = uow.users.by_username("dispatcher")
        graded = (
            uow.connection.execute(
                select(incidents.c.reference)
                .where(incidents.c.status == "graded")
                .order_by(incidents.c.reference)
            )
            .scalars()
            .all()
        )
    assert dispatcher is not None and graded
    actor = Actor(dispatcher["id"], "dispatcher", Role.DISPATCHER, "Dispatcher")
    _needs, found = container.dispatch.recommendations(actor, graded[0], clock())
    assert len({round(r.distance_km or 0, 1) for r in found}) > 1, [r.reasons for r in found]
    assert {r.measured_from for r in found} <= {"last_position", "station"}
    assert any(r.measured_from == "last_position" for r in found)


def test_the_audit_chain_verifies_after_seeding(container: Container, clock: FakeClock) -> None:
    seed_demo(container, SEED, clock(), SMALL, None, people=PEOPLE)
    report = verify_audit(container.uow)
    entries, findings = report.entries, report.problems()
    assert findings == []
    # one account entry each, one import batch, the intelligence records, one per live call,
    # one per live call assessed
    accounts = len(DEMO_USERS) + len(demo.HISTORY_HANDLERS)
    assert entries == accounts + 1 + 1 + len(demo.LIVE_CALLS) + len(demo.LIVE_ASSESSMENTS)


def test_seeding_twice_is_refused_and_adds_nothing(container: Container, clock: FakeClock) -> None:
    seed_demo(container, SEED, clock(), SMALL, None, people=PEOPLE)
    with pytest.raises(Conflict, match="empty store"):
        seed_demo(container, SEED, clock(), SMALL, None, people=PEOPLE)
    assert count(container, users) == len(DEMO_USERS) + len(demo.HISTORY_HANDLERS)
    assert count(container, incidents) == SMALL + len(demo.LIVE_CALLS)


def test_a_store_with_users_is_refused(container: Container, people: People, clock: FakeClock) -> None:
    people(Role.ADMIN)
    with pytest.raises(Conflict):
        seed_demo(container, SEED, clock(), SMALL, None, people=PEOPLE)
    assert count(container, incidents) == 0


def test_each_day_is_numbered_from_one_in_time_order(container: Container, clock: FakeClock) -> None:
    seed_demo(container, SEED, clock(), SMALL, None, people=PEOPLE)
    with container.uow() as uow:
        rows = uow.connection.execute(
            select(incidents.c.reference, incidents.c.received_at)
            .where(incidents.c.status == "closed")  # the history; live calls come after it
            .order_by(incidents.c.received_at)
        ).all()
    numbers: dict[str, list[int]] = defaultdict(list)
    zone = ZoneInfo(container.settings.force_timezone)
    for reference, received_at in rows:
        prefix, day, number = reference.split("-")
        assert prefix == container.settings.reference_prefix
        assert day == f"{received_at.astimezone(zone):%y%m%d}"
        numbers[day].append(int(number))
    assert all(found == list(range(1, len(found) + 1)) for found in numbers.values())


def test_a_live_incident_on_a_seeded_day_takes_the_next_number(
    container: Container, people: People, clock: FakeClock
) -> None:
    seed_demo(container, SEED, clock(), SMALL, None, people=PEOPLE)
    zone = ZoneInfo(container.settings.force_timezone)
    with container.uow() as uow:
        latest = uow.connection.execute(
            select(incidents.c.received_at).order_by(incidents.c.received_at.desc()).limit(1)
        ).scalar_one()
        day = latest.astimezone(zone).date()
        seeded = uow.connection.execute(
            select(func.count()).select_from(incidents).where(incidents.c.reference.like(f"%-{day:%y%m%d}-%"))
        ).scalar_one()
    contact = Contact(
        Channel.NON_EMERGENCY, latest, "asb_noise", asb_qualifier="nuisance", account="Music still loud."
    )
    opened = container.incidents.open(people(Role.CALL_HANDLER), contact, clock())
    prefix = container.settings.reference_prefix
    assert opened.incident["reference"] == format_reference(prefix, day, seeded + 1)


def test_the_caller_on_the_demos_domestic_abuse_call_is_on_record_with_their_history(
    container: Container, people: People, clock: FakeClock
) -> None:
    seed_demo(container, SEED, clock(), SMALL, None, people=PEOPLE)
    handler = people(Role.CALL_HANDLER)
    reference = next(
        i
        for i in container.incidents.live_page(handler, now=container.clock())[0]
        if i["opening_category"] == "domestic_incident"
    )["reference"]
    call, _ = container.incidents.view(handler, reference, clock())
    found = container.intel.search(
        handler, {"name": call["caller_name"], "phone": call["caller_phone"]}, clock(), call["reference"]
    )
    assert found.likely == found.matches[0]["match"].person_id
    top = found.matches[0]
    assert "da_victim" in {m.code for m in top["markers"]}
    assert top["history"].count >= 1 and top["history"].last_dash_risk is not None
