"""Separation of duties on both stores: nobody reviews or decides on their own call, and
public protection reads incidents but does not change them."""

from __future__ import annotations

import pytest

from tests.conftest import FakeClock, People
from tests.services.test_assessments import facts_of, open_call, submission
from tests.services.test_intel import population, search  # noqa: F401 - a fixture
from tests.services.test_supervision import full_answers, item_id
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.errors import Forbidden


def test_a_supervisor_who_took_the_call_cannot_review_it_but_a_colleague_can(
    container: Container, people: People, clock: FakeClock
) -> None:
    supervisor, colleague = people(Role.SUPERVISOR), people(Role.SUPERVISOR)
    incident = open_call(container, supervisor, clock)  # a domestic call: in the review queue
    with pytest.raises(Forbidden) as refused:
        container.supervision.review(
            supervisor, incident["reference"], full_answers(container), "fine", clock()
        )
    assert refused.value.field == "reference"
    assert container.supervision.review(
        colleague, incident["reference"], full_answers(container), "fine", clock()
    )["id"]


def test_a_supervisor_who_assessed_a_colleagues_call_cannot_review_it(
    container: Container, people: People, clock: FakeClock
) -> None:
    handler, supervisor = people(), people(Role.SUPERVISOR)
    incident = open_call(container, handler, clock)
    container.assessments.assess(
        supervisor, incident["reference"], submission(container, facts_of(incident)), clock()
    )
    with pytest.raises(Forbidden):
        container.supervision.review(supervisor, incident["reference"], full_answers(container), "", clock())


def test_nobody_decides_on_a_downgrade_of_a_call_they_took(
    container: Container, people: People, clock: FakeClock
) -> None:
    supervisor, other, third = people(Role.SUPERVISOR), people(Role.SUPERVISOR), people(Role.SUPERVISOR)
    incident = open_call(container, supervisor, clock)  # the first supervisor took the call
    container.assessments.assess(  # and a colleague graded it down
        other,
        incident["reference"],
        submission(container, facts_of(incident), grade="scheduled", override_reason="he has left the area"),
        clock(),
    )
    downgrade = item_id(container, incident["id"], "downgrade")
    with pytest.raises(Forbidden) as refused:
        container.supervision.decide_downgrade(supervisor, downgrade, True, "agreed", clock())
    assert refused.value.field == "item_id"
    assert (
        container.supervision.decide_downgrade(third, downgrade, True, "agreed", clock())["status"]
        == "approved"
    )


def test_public_protection_finds_people_but_cannot_attach_them_to_an_incident(
    container: Container,
    people: People,
    clock: FakeClock,
    population: dict[str, int],  # noqa: F811
) -> None:
    handler, protection = people(), people(Role.PUBLIC_PROTECTION)
    incident = open_call(container, handler, clock)
    found = search(
        container, protection, incident["reference"], name="John Smith", date_of_birth="1984-03-07"
    )
    with pytest.raises(PermissionError):
        container.intel.attach(
            protection, incident["reference"], population["john"], "suspect", clock(), found.search_id
        )
    assert container.intel.record(protection, incident["reference"], clock())["links"] == []
