"""Who was shown which incident's location on the live queue: audited when it changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.adapters.web.test_pages import log_in
from tests.conftest import FakeClock, People
from thriives.adapters.db.tables import audit_log
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Role
from thriives.domain.incidents import Channel, Contact
from thriives.services.queue_sightings import REFRESH, Sighting, to_record

T0 = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)


def test_the_first_read_records_all_then_only_what_is_new_then_all_again_when_stale() -> None:
    new, last = to_record(None, frozenset({"A", "B"}), T0)
    assert new == {"A", "B"} and last == Sighting(T0, frozenset({"A", "B"}))
    new, last = to_record(last, frozenset({"A", "B"}), T0 + timedelta(seconds=5))
    assert new == set() and last.at == T0
    new, last = to_record(last, frozenset({"B", "C"}), T0 + timedelta(seconds=10))
    assert new == {"C"} and last == Sighting(T0, frozenset({"A", "B", "C"}))
    new, last = to_record(last, frozenset({"C"}), T0 + REFRESH)
    assert new == {"C"} and last == Sighting(T0 + REFRESH, frozenset({"C"}))


def test_a_clock_set_back_records_everything_shown() -> None:
    new, _ = to_record(Sighting(T0, frozenset({"A"})), frozenset({"A"}), T0 - timedelta(minutes=1))
    assert new == {"A"}


def _open(container: Container, actor: Actor, clock: FakeClock) -> str:
    contact = Contact(
        channel=Channel.EMERGENCY,
        received_at=clock(),
        opening_category="crime_violence",
        location_text="14 Acacia Avenue",
    )
    return str(container.incidents.open(actor, contact, clock()).incident["reference"])


def _queue_entries(container: Container, username: str) -> list[dict[str, Any]]:
    with container.uow() as uow:
        rows = uow.connection.execute(
            select(audit_log.c.detail).where(
                audit_log.c.actor == username,
                audit_log.c.operation == "consultation",
                audit_log.c.record_type == "queue",
            )
        )
        return [json.loads(row.detail) if isinstance(row.detail, str) else dict(row.detail) for row in rows]


def test_reading_the_queue_is_recorded_when_what_it_shows_changes(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler = people()
    first = _open(container, handler, clock)
    container.incidents.live_page(handler, now=clock())
    clock.advance(seconds=5)
    container.incidents.live_page(handler, now=clock())  # the same queue: nothing more
    second = _open(container, handler, clock)
    clock.advance(seconds=5)
    container.incidents.live_page(handler, now=clock())
    assert [e["references"] for e in _queue_entries(container, handler.username)] == [[first], [second]]
    clock.advance(minutes=REFRESH.total_seconds() / 60)
    container.incidents.live_page(handler, now=clock())  # kept open: recorded again in full
    assert _queue_entries(container, handler.username)[-1]["references"] == sorted([first, second])
    other = people()  # another user's first look is their own record
    container.incidents.live_page(other, now=clock())
    assert _queue_entries(container, other.username) == [
        {"read": "live queue", "references": sorted([first, second])}
    ]


@pytest.mark.parametrize("path", ["/api/v1/incidents", "/", "/queue", "/queue/table"])
def test_every_queue_route_records_a_users_first_look(
    client: TestClient, container: Container, people: People, clock: FakeClock, path: str
) -> None:
    reference = _open(container, people(), clock)
    reader = people(Role.DISPATCHER)
    if path.startswith("/api/"):
        token = container.accounts.issue_token(reader.username, "test", clock())
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    else:
        log_in(client, reader.username)
        response = client.get(path)
    assert response.status_code == 200
    assert "Acacia" in response.text or path == "/api/v1/incidents" and reference in response.text
    assert [e["references"] for e in _queue_entries(container, reader.username)] == [[reference]]
