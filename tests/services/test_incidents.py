"""Incident use-cases on both stores: concurrency, idempotency, journal, lifecycle rules."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from tests.conftest import FakeClock, People
from thriives.adapters.db.tables import audit_log, events, incidents
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Role
from thriives.domain.errors import Conflict, DomainError, NotFound
from thriives.domain.incidents import Channel, Contact, Status
from thriives.services.audit import verify_audit


def call(clock: FakeClock, **changes: object) -> Contact:
    values: dict[str, object] = {
        "channel": Channel.EMERGENCY,
        "received_at": clock(),
        "opening_category": "domestic_incident",
        "qualifiers": ("domestic",),
        "caller_name": "Ada Quill",
        "caller_phone": "07700900123",
        "account": "Please come quickly.",
    }
    values.update(changes)
    return Contact(**values)  # type: ignore[arg-type]


def counts(container: Container) -> tuple[int, int, int]:
    with container.uow() as uow:
        return tuple(  # type: ignore[return-value]
            uow.connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (incidents, events, audit_log)
        )


def test_concurrent_calls_get_unique_references_and_an_intact_audit_chain(
    container: Container, people: People, clock: FakeClock
) -> None:
    handlers = [people() for _ in range(4)]

    def open_one(index: int) -> str:
        actor = handlers[index % len(handlers)]
        return container.incidents.open(actor, call(clock), clock()).incident["reference"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        references = list(pool.map(open_one, range(120)))
    assert len(set(references)) == 120
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    assert numbers == list(range(1, 121))
    report = verify_audit(container.uow)
    count, findings = report.entries, report.problems()
    assert findings == []
    assert count == 4 + 120  # four accounts created, 120 incidents collected


def test_concurrent_retries_with_one_key_open_one_incident(
    container: Container, people: People, clock: FakeClock
) -> None:
    actor = people()

    def attempt(_: int) -> tuple[str, bool]:
        opened = container.incidents.open(actor, call(clock), clock(), "same-key", "fingerprint")
        return opened.incident["reference"], opened.created

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(16)))
    assert len({reference for reference, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert counts(container)[0] == 1


def test_references_have_no_daily_cap(container: Container, people: People, clock: FakeClock) -> None:
    actor = people()
    with container.uow(write=True) as uow:
        uow.references.next("261126")
        uow.connection.execute(text("UPDATE reference_counters SET last_number = 99998"))
        uow.commit()
    first = container.incidents.open(actor, call(clock), clock()).incident["reference"]
    second = container.incidents.open(actor, call(clock), clock()).incident["reference"]
    assert (first, second) == ("TH-261126-99999", "TH-261126-100000")


def test_every_change_writes_its_event_and_audit_entry_together(
    container: Container, people: People, clock: FakeClock
) -> None:
    actor = people(Role.SUPERVISOR)
    reference = container.incidents.open(actor, call(clock), clock()).incident["reference"]
    container.incidents.recategorise(
        actor,
        reference,
        "concern_for_safety",
        ("vulnerable_adult",),
        None,
        "caller clarified: no partner involved",
        clock(),
    )
    container.incidents.close(actor, reference, "concern_for_safety", "advice_given", "advice given", clock())
    container.incidents.change_status(actor, reference, Status.OPEN, "caller rang back", clock())
    _, timeline = container.incidents.view(actor, reference, clock())
    assert [e["kind"] for e in timeline] == [
        "incident.opened",
        "review.queued",  # a domestic-abuse call goes to the supervisors' review queue
        "incident.recategorised",
        "incident.closed",
        "incident.reopen",
    ]
    recategorised = timeline[2]["data"]
    assert recategorised["before"]["opening_category"] == "domestic_incident"
    assert recategorised["after"]["opening_category"] == "concern_for_safety"
    assert recategorised["reason"] == "caller clarified: no partner involved"
    with container.uow() as uow:
        operations = [
            row.operation
            for row in uow.connection.execute(
                select(audit_log.c.operation)
                .where(audit_log.c.record_id == reference)
                .order_by(audit_log.c.seq)
            )
        ]
    assert operations == [
        "collection",
        "alteration",
        "alteration",
        "alteration",
        "consultation",
    ]


@pytest.mark.parametrize(
    ("action", "field"),
    [
        (lambda s, a, r, t: s.change_status(a, r, Status.AT_SCENE, None, t), "status"),
        (lambda s, a, r, t: s.change_status(a, r, Status.GRADED, None, t), "status"),
        (lambda s, a, r, t: s.close(a, r, "no_such", "advice_given", "a note", t), "closing_category"),
        (lambda s, a, r, t: s.close(a, r, "crime_theft", "because", "a note", t), "closure_reason"),
        (lambda s, a, r, t: s.close(a, r, "crime_theft", "advice_given", None, t), "note"),
        (lambda s, a, r, t: s.close(a, r, "crime_theft", "advice_given", "  ", t), "note"),
        (lambda s, a, r, t: s.recategorise(a, r, "crime_theft", (), None, "", t), "reason"),
        (lambda s, a, r, t: s.recategorise(a, r, "asb_noise", (), None, "wrong", t), "asb_qualifier"),
        (lambda s, a, r, t: s.close(a, "TH-000000-0001", "crime_theft", "advice_given", "x", t), "reference"),
    ],
)
def test_a_refused_change_leaves_the_incident_exactly_as_it_was(
    container: Container, people: People, clock: FakeClock, action, field: str
) -> None:
    actor = people(Role.DISPATCHER)
    reference = container.incidents.open(actor, call(clock), clock()).incident["reference"]
    before = counts(container)
    with pytest.raises(DomainError) as refused:
        action(container.incidents, actor, reference, clock())
    assert refused.value.field == field
    assert counts(container) == before
    with container.uow() as uow:
        assert uow.incidents.get(reference)["version"] == 1  # type: ignore[index]


def test_reopening_needs_a_supervisor(container: Container, people: People, clock: FakeClock) -> None:
    handler = people()
    reference = container.incidents.open(handler, call(clock), clock()).incident["reference"]
    container.incidents.close(
        people(Role.SUPERVISOR),  # a domestic-abuse call waits for its review; a supervisor may close
        reference,
        "domestic_incident",
        "advice_given",
        "advice given",
        clock(),
        dash_exemption="caller withdrew before DASH",
    )
    with pytest.raises(PermissionError):
        container.incidents.change_status(handler, reference, Status.OPEN, "rang back", clock())


def test_an_edit_from_a_stale_read_is_refused(container: Container, people: People, clock: FakeClock) -> None:
    actor = people()
    reference = container.incidents.open(actor, call(clock), clock()).incident["reference"]
    with container.uow() as uow:
        stale = uow.incidents.get(reference)
    container.incidents.recategorise(actor, reference, "crime_theft", (), None, "not a domestic", clock())
    with container.uow(write=True) as uow:
        assert stale is not None
        assert not uow.incidents.update(stale["id"], stale["version"], {"status": "closed"})


def test_viewing_an_incident_is_audited_as_a_consultation(
    container: Container, people: People, clock: FakeClock
) -> None:
    actor = people(Role.PUBLIC_PROTECTION)
    handler = people()
    reference = container.incidents.open(handler, call(clock), clock()).incident["reference"]
    container.incidents.view(actor, reference, clock(), justification="safeguarding review")
    with container.uow() as uow:
        row = uow.connection.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).one()
    assert (row.actor, row.operation, row.record_id, row.justification) == (
        actor.username,
        "consultation",
        reference,
        "safeguarding review",
    )


def test_roles_without_the_permission_are_refused(
    container: Container, people: People, clock: FakeClock
) -> None:
    analyst: Actor = people(Role.ANALYST)
    with pytest.raises(PermissionError):
        container.incidents.open(analyst, call(clock), clock())
    with pytest.raises(NotFound):
        container.incidents.view(people(Role.SUPERVISOR), "TH-261126-9999", clock())


def test_an_idempotency_key_is_bounded(container: Container, people: People, clock: FakeClock) -> None:
    with pytest.raises(DomainError) as refused:
        container.incidents.open(people(), call(clock), clock(), "k" * 201, "f")
    assert refused.value.field == "Idempotency-Key"
    with pytest.raises(Conflict):
        actor = people()
        container.incidents.open(actor, call(clock), clock(), "k1", "f1")
        container.incidents.open(actor, call(clock), clock(), "k1", "f2")
