"""The live feed resumes from Last-Event-ID with nothing lost or repeated, on both stores."""

from __future__ import annotations

import asyncio
import json
import time

from fastapi.testclient import TestClient

from tests.conftest import FakeClock, People
from thriives.adapters.web.feed import EventFeed, store_feed
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.incidents import Channel, Contact


def open_calls(container: Container, people: People, clock: FakeClock, count: int) -> list[str]:
    actor = people()
    return [
        container.incidents.open(
            actor, Contact(Channel.EMERGENCY, clock(), "crime_robbery"), clock()
        ).incident["reference"]
        for _ in range(count)
    ]


def feed_for(container: Container) -> EventFeed:
    return store_feed(container)


def test_a_resumed_stream_gets_what_it_missed_then_live_events(
    container: Container, people: People, clock: FakeClock
) -> None:
    before = open_calls(container, people, clock, 3)

    async def scenario() -> list[str]:
        feed = feed_for(container)
        await feed.start()
        seen: list[str] = []
        stream = feed.stream(last_event_id=1)  # the client saw only the first event
        try:
            while len(seen) < 2:
                seen.append((await anext(stream))["reference"])
            later = await asyncio.to_thread(open_calls, container, people, clock, 2)
            while len(seen) < 4:
                seen.append((await asyncio.wait_for(anext(stream), 5))["reference"])
            assert seen == before[1:] + later
            return seen
        finally:
            await stream.aclose()
            await feed.stop()

    assert len(asyncio.run(scenario())) == 4


def test_a_new_stream_starts_from_now(container: Container, people: People, clock: FakeClock) -> None:
    open_calls(container, people, clock, 2)

    async def scenario() -> str:
        feed = feed_for(container)
        await feed.start()
        stream = feed.stream(last_event_id=None)
        try:
            first = asyncio.ensure_future(anext(stream))
            await asyncio.sleep(0.05)
            later = await asyncio.to_thread(open_calls, container, people, clock, 1)
            event = await asyncio.wait_for(first, 5)
            assert event["reference"] == later[0]
            return str(event["kind"])
        finally:
            await stream.aclose()
            await feed.stop()

    assert asyncio.run(scenario()) == "incident.opened"


def test_the_polling_endpoint_pages_through_events(
    client: TestClient, bearer, container: Container, people: People, clock: FakeClock
) -> None:
    references = open_calls(container, people, clock, 3)
    headers = bearer(Role.DISPATCHER)
    first = client.get("/api/v1/events", params={"after": 0, "limit": 2}, headers=headers).json()
    rest = client.get("/api/v1/events", params={"after": first[-1]["id"]}, headers=headers).json()
    assert [e["reference"] for e in first + rest] == references
    assert all("caller" not in json.dumps(e) for e in first + rest)  # no personal data on the feed


def test_subscribers_arriving_together_start_one_poller() -> None:
    """Every board reconnecting at once (after a restart) must not start a poller each."""
    reads: list[int] = []

    def fetch(after: int, limit: int) -> list[dict[str, object]]:
        reads.append(after)
        return []

    def latest() -> int:
        time.sleep(0.02)  # the store takes a moment: the other subscribers arrive meanwhile
        return 0

    async def scenario() -> int:
        feed = EventFeed(fetch, latest, interval=0.05)
        await asyncio.gather(*(feed.start() for _ in range(20)))
        await asyncio.sleep(0.3)
        await feed.stop()
        return len(reads)

    assert asyncio.run(scenario()) <= 8  # one poller: about 6 reads in 0.3 s, not 120
