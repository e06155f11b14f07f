"""Restricted data by role, as a property on both stores: generated people, addresses,
markers, roles and searches, and nothing restricted shown to a role that may not see it,
nor a protected address to anyone, in search results, explanations, history, the page
fragments, the record of searches, the proposal, the timeline or the event stream (see
``leak_world``). ``bench/leak_property.py`` runs the same checks over 10,000 cases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.conftest import FakeClock, People
from tests.services.leak_world import SEARCHING, Pages, World, check_outputs, check_search, load, worlds
from tests.services.test_assessments import open_call
from thriives.bootstrap import Container
from thriives.domain.accounts import Role


def test_no_search_output_leaks_a_protected_address_or_a_restricted_marker(
    container: Container, client: TestClient, people: People, clock: FakeClock
) -> None:
    users = {role: people(role) for role in SEARCHING}
    pages = Pages(client, container, users)
    cases = 0

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(world=worlds)
    def one(world: World) -> None:
        nonlocal cases
        reference = open_call(container, users[Role.CALL_HANDLER], clock)["reference"]
        loaded = load(container, world, clock())
        for role, terms in world.searches:
            result = container.intel.search(users[role], dict(terms), clock(), reference)
            check_search(container, loaded, users[role], result)
            cases += 1
        check_outputs(pages, world, loaded, reference, 0)

    one()
    assert cases >= 12


def test_a_restricted_marker_raises_the_same_whatever_its_kind(container: Container) -> None:
    policy: Any = container.intel.policy
    assert policy.restricted_raises == {"intelligence": "high", "vulnerability": "high"}
