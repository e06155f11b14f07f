"""Linked and duplicate incidents, search and the log, as use-cases on both stores."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from tests.conftest import FakeClock, People
from thriives.adapters.db.record_tables import incident_log, incident_relations
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
        "opening_category": "concern_for_safety",
        "caller_name": "Ada Quill",
        "caller_phone": "07700900123",
        "location_text": "14 Larkspur Row",
        "postcode": "TH4 7QX",
        "account": "He's banging on the door.",
    }
    values.update(changes)
    return Contact(**values)  # type: ignore[arg-type]


def opened(container: Container, actor: Actor, clock: FakeClock, **changes: object) -> str:
    return str(container.incidents.open(actor, call(clock, **changes), clock()).incident["reference"])


def rows(container: Container) -> tuple[int, ...]:
    with container.uow() as uow:
        return tuple(
            int(uow.connection.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (incidents, events, audit_log, incident_relations, incident_log)
        )


def test_a_second_call_from_the_same_number_is_offered_with_its_reason(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    first = opened(container, handler, clock)
    clock.advance(minutes=14)
    second = opened(
        container, handler, clock, caller_name="Bo Quill", location_text="Mill Lane", postcode=None
    )
    opened(
        container,
        handler,
        clock,
        caller_phone="07700900999",
        caller_name="Cy Stone",
        location_text="Elm Road",
        postcode="TH1 1AA",
    )
    offered = container.links.possible_duplicates(handler, second, clock())
    assert [c["reference"] for c in offered["candidates"]] == [first]
    assert offered["candidates"][0]["reasons"] == ["same caller number 07700 900123"]
    assert offered["candidates"][0]["received"] == "14 minutes ago"


def test_a_duplicate_is_closed_and_its_caller_shows_on_the_first(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    first = opened(container, handler, clock)
    clock.advance(minutes=5)
    second = opened(container, handler, clock, caller_name="Bo Quill", account="Same man, same door.")
    made = container.links.link(handler, second, first.lower(), "duplicate", "same door", clock())
    assert made["closed"] and made["other"] == first
    incident, timeline = container.incidents.view(handler, second, clock())
    assert incident["status"] == Status.CLOSED.value
    assert incident["closure_reason"] == "duplicate"
    assert incident["closure_note"] == f"duplicate of {first}: same door"
    assert {e["kind"] for e in timeline} >= {"incident.closed", "incident.linked"}
    record = container.links.links_of(handler, first, clock())
    (link,) = record["links"]
    assert link["relation"] == "has_duplicate" and link["other"] == second
    assert link["caller"]["caller_name"] == "Bo Quill" and link["caller"]["account"] == "Same man, same door."
    assert container.links.links_of(handler, second, clock())["duplicate_of"] == first
    assert container.links.possible_duplicates(handler, first, clock())["candidates"] == []
    assert container.links.board_links()[first] == [second]
    assert verify_audit(container.uow).intact


def test_related_and_separate_are_recorded_and_not_offered_again(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    first = opened(container, handler, clock)
    second = opened(container, handler, clock)
    third = opened(container, handler, clock)
    container.links.link(handler, third, first, "related", None, clock())
    container.links.link(handler, third, second, "separate", "another flat", clock())
    assert container.links.possible_duplicates(handler, third, clock())["candidates"] == []
    seen = {
        link["other"]: link["relation"] for link in container.links.links_of(handler, first, clock())["links"]
    }
    assert seen == {third: "related"}
    for reference in (first, third):
        assert container.incidents.view(handler, reference, clock())[0]["status"] == Status.OPEN.value
    # Found to be related after all: a separate pair may still be linked, once.
    container.links.link(handler, second, third, "related", "same family", clock())
    with pytest.raises(Conflict):
        container.links.link(handler, third, second, "related", None, clock())


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("itself", "other"),
        ("unknown", "other"),
        ("old_closed", "other"),
        ("bad_relation", "relation"),
        ("blank", "other"),
    ],
)
def test_bad_links_are_refused_naming_the_field_and_change_nothing(
    container: Container, people: People, clock: FakeClock, case: str, field: str
) -> None:
    handler = people()
    old = opened(container, handler, clock)
    container.incidents.close(handler, old, "concern_for_safety", "advice_given", "advice given", clock())
    clock.advance(days=1)
    new = opened(container, handler, clock)
    other, relation = {
        "itself": (new, "related"),
        "unknown": ("TH-010101-0001", "related"),
        "old_closed": (old, "related"),
        "bad_relation": (old, "merged"),
        "blank": ("  ", "related"),
    }[case]
    before = rows(container)
    with pytest.raises(DomainError) as refused:
        container.links.link(handler, new, other, relation, None, clock())
    assert refused.value.field == field
    if case == "unknown":
        assert isinstance(refused.value, NotFound)
    assert rows(container) == before


def test_a_call_held_by_a_unit_cannot_be_closed_as_a_duplicate(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    first, second = opened(container, handler, clock), opened(container, handler, clock)
    with container.uow(write=True) as uow:
        row = uow.incidents.require(second)
        uow.incidents.update(row["id"], row["version"], {"status": "dispatched"})
        uow.commit()
    before = rows(container)
    with pytest.raises(DomainError) as refused:
        container.links.link(handler, second, first, "duplicate", None, clock())
    assert refused.value.field == "relation" and "unit" in refused.value.message
    assert rows(container) == before


def test_a_reopened_duplicate_stops_the_first_closing(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    first, second = opened(container, handler, clock), opened(container, handler, clock)
    container.links.link(handler, second, first, "duplicate", None, clock())
    with container.uow() as uow:
        first_id = uow.incidents.require(first)["id"]
        assert container.links.open_links_needing_attention(uow, first_id) == []
    container.incidents.change_status(supervisor, second, Status.OPEN, "not the same after all", clock())
    with container.uow() as uow:
        (reason,) = container.links.open_links_needing_attention(uow, first_id)
    assert reason.startswith(f"{second} is recorded as a duplicate of this incident")


def test_a_role_that_may_not_update_cannot_link(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, analyst = people(), people(Role.PUBLIC_PROTECTION)
    first, second = opened(container, handler, clock), opened(container, handler, clock)
    with pytest.raises(PermissionError):
        container.links.link(analyst, second, first, "related", None, clock())


def test_search_finds_by_each_criterion_pages_and_audits_the_criteria(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    ada = opened(container, handler, clock)
    for n in range(30):
        opened(
            container,
            handler,
            clock,
            caller_phone=f"0770090{n:04}",
            caller_name=f"Caller {n}",
            postcode="TH1 1AA",
            location_text="Elm Road",
        )
    search = container.incident_search.search
    assert [r["reference"] for r in search(handler, {"phone": "07700 900123"}, clock())["results"]] == [ada]
    assert search(handler, {"person": "quill"}, clock())["total"] == 1
    assert search(handler, {"address": "larkspur"}, clock())["total"] == 1
    assert search(handler, {"postcode": "th4"}, clock())["total"] == 1
    assert search(handler, {"reference": ada}, clock())["total"] == 1
    assert search(handler, {"date_from": "2026-11-26", "date_to": "2026-11-26"}, clock())["total"] == 31
    assert search(handler, {"date_from": "2026-11-27"}, clock())["total"] == 0
    assert search(handler, {"category": "concern_for_safety", "status": "open"}, clock())["total"] == 31
    page = search(handler, {"postcode": "TH1 1AA"}, clock(), page=2, page_size=25)
    assert (page["total"], page["pages"], len(page["results"])) == (30, 2, 5)
    with container.uow() as uow:
        entry = uow.connection.execute(
            select(audit_log.c.operation, audit_log.c.detail)
            .where(audit_log.c.record_type == "incident_search")
            .order_by(audit_log.c.seq.desc())
        ).first()
    assert entry is not None and entry.operation == "consultation"
    assert '"postcode":"TH1 1AA"' in entry.detail and "Caller" not in entry.detail


def test_search_is_refused_to_roles_without_it_and_on_bad_criteria(
    container: Container, people: People, clock: FakeClock
) -> None:
    with pytest.raises(PermissionError):
        container.incident_search.search(people(Role.ANALYST), {}, clock())
    before = rows(container)
    with pytest.raises(DomainError) as refused:
        container.incident_search.search(people(), {"grade": "urgent"}, clock())
    assert refused.value.field == "grade"
    assert rows(container)[2] == before[2] + 1  # only the new user's account entry


def test_the_log_is_append_only_attributed_and_allowed_after_closing(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    reference = opened(container, handler, clock)
    container.incident_log.add(handler, reference, "Caller rang back: he has gone.", clock())
    clock.advance(minutes=2)
    container.incident_log.add(dispatcher, reference, "Unit told.\n\tStood down.", clock())
    container.incidents.close(
        handler, reference, "concern_for_safety", "advice_given", "advice given", clock()
    )
    late = container.incident_log.add(handler, reference, "Neighbour confirmed all quiet.", clock())
    assert late["after_closing"] is True
    entries = container.incident_log.entries(dispatcher, reference, clock())
    assert [(e["author"], e["author_role"]) for e in entries] == [
        (handler.username, "call_handler"),
        (dispatcher.username, "dispatcher"),
        (handler.username, "call_handler"),
    ]
    assert entries[1]["text"] == "Unit told.\n\tStood down."
    timeline = container.incidents.view(handler, reference, clock())[1]
    assert sum(e["kind"] == "incident.log" for e in timeline) == 3
    before = rows(container)
    with pytest.raises(DomainError) as refused:
        container.incident_log.add(handler, reference, "\x1b[2J", clock())
    assert refused.value.field == "text" and rows(container) == before
    with pytest.raises(PermissionError):
        container.incident_log.add(people(Role.ANALYST), reference, "hello", clock())


def test_the_store_refuses_to_alter_or_remove_a_log_entry(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    reference = opened(container, handler, clock)
    container.incident_log.add(handler, reference, "First note.", clock())
    for statement in (incident_log.update().values(text="rewritten"), incident_log.delete()):
        with (
            pytest.raises(DBAPIError, match="append-only|permission denied"),
            container.uow(write=True) as uow,
        ):
            uow.connection.execute(statement)
    assert [e["text"] for e in container.incident_log.entries(handler, reference, clock())] == ["First note."]


def test_an_incident_whose_duplicate_is_open_again_cannot_be_closed(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    first, second = opened(container, handler, clock), opened(container, handler, clock)
    container.links.link(handler, second, first, "duplicate", None, clock())
    container.incidents.change_status(supervisor, second, Status.OPEN, "not the same after all", clock())
    before = rows(container)
    with pytest.raises(DomainError) as refused:
        container.incidents.close(supervisor, first, "concern_for_safety", "advice_given", "done", clock())
    assert refused.value.field == "status" and second in refused.value.message
    assert rows(container) == before
