"""Several units per incident, backup requests and last known positions, on both stores.

Uses the small force of ``test_dispatch``: AS11 (taser), AS12, AS21 (DA car) and AS99 (off
duty) at the urban station AS1, MO11 at the rural station MO1 40 km away.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FakeClock, People
from tests.services.test_dispatch import (
    EMERGENCY,
    NEAR_RURAL,
    assess,
    attendance,
    incident_row,
    open_incident,
    seed_force,
    snapshot,
    task_of,
    timeline,
    unit_row,
)
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.dispatch import UnitStatus
from thriives.domain.errors import DomainError


@pytest.fixture
def force(container: Container) -> None:
    seed_force(container)


def test_an_incident_takes_several_units_and_its_status_follows_them(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    ref = incident["reference"]
    container.dispatch.assign(dispatcher, ref, "AS11", None, clock())
    clock.advance(minutes=1)
    after = container.dispatch.assign(dispatcher, ref, "AS12", "a second pair of hands", clock())
    assert after["status"] == "dispatched"
    assert [unit_row(container, c)["incident_id"] for c in ("AS11", "AS12")] == [incident["id"]] * 2
    dispatched_at = incident_row(container, ref)["dispatched_at"]
    assert dispatched_at == clock() - timedelta(minutes=1)  # the first dispatch time is kept
    container.dispatch.move(dispatcher, "AS12", UnitStatus.EN_ROUTE, clock())
    clock.advance(minutes=3)
    container.dispatch.move(dispatcher, "AS11", UnitStatus.AT_SCENE, clock())
    row = incident_row(container, ref)
    assert (row["status"], row["arrived_at"]) == ("at_scene", clock())
    assert attendance(container, incident["id"]) == []  # the clock stopped at the first arrival
    assert unit_row(container, "AS12")["status"] == "en_route"  # the other stays en route
    # The unit at scene is taken away: the other still holds it, now dispatched, no task.
    clock.advance(minutes=1)
    taken = container.dispatch.take_away(dispatcher, "AS11", "needed at a fight", clock())
    assert taken["task"] is None and taken["status"] == "dispatched"
    assert task_of(container, incident["id"]) is None
    assert incident_row(container, ref)["arrived_at"] == clock() - timedelta(minutes=1)
    # The last unit taken away: back on the queue with a reassessment task, as ever.
    last = container.dispatch.take_away(dispatcher, "AS12", "stood down", clock())
    assert last["status"] == "graded" and last["task"] is not None
    with container.uow() as uow:
        rows = uow.dispatch.assignments_of(incident["id"])
    assert [(a["call_sign"], a["end_reason"]) for a in rows] == [
        ("AS11", "taken_away"),
        ("AS12", "taken_away"),
    ]


def test_closing_releases_every_unit_and_hand_over_is_per_unit(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher, supervisor = people(), people(Role.DISPATCHER), people(Role.SUPERVISOR)
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    ref = incident["reference"]
    container.dispatch.assign(dispatcher, ref, "AS11", None, clock())
    container.dispatch.assign(dispatcher, ref, "AS12", "second unit", clock())
    container.dispatch.move(dispatcher, "AS11", UnitStatus.AT_SCENE, clock())
    handed = container.dispatch.hand_over(dispatcher, "AS12", "AS21", "end of shift", clock())
    assert handed["status"] == "at_scene"  # AS11 is still at scene
    assert unit_row(container, "AS12")["status"] == "available"
    assert unit_row(container, "AS21")["incident_id"] == incident["id"]
    container.incidents.close(supervisor, ref, "crime_violence", "crime_recorded", "all done", clock())
    for call_sign in ("AS11", "AS21"):
        unit = unit_row(container, call_sign)
        assert (unit["status"], unit["incident_id"]) == ("available", None)
    freed = [
        e["data"]["call_sign"] for e in timeline(container, incident["id"]) if e["kind"] == "unit.status"
    ]
    assert freed[-2:] == ["AS11", "AS21"]


def test_a_unit_committed_elsewhere_is_refused_naming_where_and_nothing_changes(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    first = open_incident(container, handler, clock)
    assess(container, handler, first, clock, EMERGENCY)
    second = open_incident(container, handler, clock)
    assess(container, handler, second, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, first["reference"], "AS11", None, clock())
    container.dispatch.move(dispatcher, "AS11", UnitStatus.EN_ROUTE, clock())
    before = [snapshot(container, i["reference"]) for i in (first, second)], unit_row(container, "AS11")
    with pytest.raises(DomainError) as refused:
        container.dispatch.assign(dispatcher, second["reference"], "AS11", "nearest", clock())
    assert refused.value.field == "call_sign"
    assert "AS11" in refused.value.message and "en route on " + first["reference"] in refused.value.message
    with pytest.raises(DomainError) as refused:
        container.dispatch.hand_over(dispatcher, "AS11", "AS11", "same", clock())
    container.dispatch.assign(dispatcher, second["reference"], "AS12", None, clock())
    before = [snapshot(container, i["reference"]) for i in (first, second)], unit_row(container, "AS11")
    with pytest.raises(DomainError) as refused:  # handing over to a unit busy elsewhere
        container.dispatch.hand_over(dispatcher, "AS11", "AS12", "swap", clock())
    assert refused.value.field == "to_call_sign" and second["reference"] in refused.value.message
    with pytest.raises(DomainError) as refused:
        container.dispatch.assign(dispatcher, first["reference"], "AS11", "twice", clock())
    assert "already en route on" in refused.value.message
    assert (
        [snapshot(container, i["reference"]) for i in (first, second)],
        unit_row(container, "AS11"),
    ) == before


def test_a_backup_request_marks_the_board_steers_recommendations_and_is_satisfied(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock)
    assess(container, handler, incident, clock, EMERGENCY)
    ref = incident["reference"]
    container.dispatch.assign(dispatcher, ref, "AS11", None, clock())
    units = container.dispatch.units
    before = snapshot(container, ref)
    for bad, field in (((0, [], "x"), "units"), ((1, ["juggling"], "x"), "skills"), ((1, [], " "), "reason")):
        with pytest.raises(DomainError) as refused:
            units.request_backup(dispatcher, ref, *bad, clock())
        assert refused.value.field == field
    assert snapshot(container, ref) == before
    made = units.request_backup(dispatcher, ref, 2, ["da_trained"], "the crowd is growing", clock())
    assert (made["status"], made["still_wanted"], made["skill_labels"]) == (
        "open",
        2,
        ["Domestic-abuse trained"],
    )
    with pytest.raises(DomainError):  # one open request at a time
        units.request_backup(dispatcher, ref, 1, [], "more", clock())
    (entry,) = container.dispatch.board(dispatcher, clock())["held"]
    assert entry["backup"]["units"] == 2 and entry["backup"]["reason"] == "the crowd is growing"
    needs, found = container.dispatch.recommendations(dispatcher, ref, clock())
    assert "da_trained" in needs["wanted"] and "backup" in needs["because"]
    assert found[0].call_sign == "AS21"  # the DA-trained unit first, as near as the others
    container.dispatch.assign(dispatcher, ref, "AS21", None, clock())
    assert container.dispatch.board(dispatcher, clock())["held"][0]["backup"]["still_wanted"] == 1
    container.dispatch.assign(dispatcher, ref, "AS12", "next nearest", clock())
    (entry,) = container.dispatch.board(dispatcher, clock())["held"]
    assert entry["backup"] is None and [u["call_sign"] for u in entry["units"]] == ["AS11", "AS12", "AS21"]
    kinds = [e["kind"] for e in timeline(container, incident["id"])]
    assert "incident.backup_requested" in kinds and kinds[-1] == "incident.backup_satisfied"
    # A second request, cancelled with a reason.
    units.request_backup(dispatcher, ref, 1, [], "a dog unit would help", clock())
    with pytest.raises(DomainError) as refused:
        units.cancel_backup(dispatcher, ref, "", clock())
    assert refused.value.field == "reason"
    cancelled = units.cancel_backup(dispatcher, ref, "calmed down", clock())
    assert cancelled["status"] == "cancelled"
    assert timeline(container, incident["id"])[-1]["kind"] == "incident.backup_cancelled"
    assert (
        container.dispatch.timing(dispatcher, ref, container.clock())["backups"][-1]["end_reason"]
        == "calmed down"
    )


def test_recommendations_measure_from_the_last_known_position_while_recent(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock, where=NEAR_RURAL)
    assess(container, handler, incident, clock, EMERGENCY)
    ref = incident["reference"]
    _needs, found = container.dispatch.recommendations(dispatcher, ref, clock())
    assert found[0].call_sign == "MO11" and found[0].measured_from == "station"
    assert "from its station: no recent position" in found[0].reasons[-1]
    # AS12 reports itself right next to the incident.
    container.dispatch.units.report_position(dispatcher, "AS12", NEAR_RURAL[0], NEAR_RURAL[1], None, clock())
    clock.advance(minutes=3)
    _needs, found = container.dispatch.recommendations(dispatcher, ref, clock())
    assert found[0].call_sign == "AS12" and found[0].measured_from == "last_position"
    assert "from its last known position, 3 min ago" in found[0].reasons[-1]
    assert found[0].type_label == "Response"
    # Older than the policy's age: from its station again, and said so.
    clock.advance(minutes=container.dispatch.policy.position_max_age_minutes)
    _needs, found = container.dispatch.recommendations(dispatcher, ref, clock())
    as12 = next(r for r in found if r.call_sign == "AS12")
    assert as12.measured_from == "station" and "last 33 min ago" in as12.reasons[-1]


def test_arrival_sets_the_units_position_to_the_scene(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    handler, dispatcher = people(), people(Role.DISPATCHER)
    incident = open_incident(container, handler, clock, where=NEAR_RURAL)
    assess(container, handler, incident, clock, EMERGENCY)
    container.dispatch.assign(dispatcher, incident["reference"], "MO11", None, clock())
    container.dispatch.move(dispatcher, "MO11", UnitStatus.AT_SCENE, clock())
    unit = unit_row(container, "MO11")
    assert (unit["last_latitude"], unit["last_longitude"], unit["position_at"]) == (*NEAR_RURAL, clock())


def test_a_bad_position_is_refused_naming_the_field_and_changes_nothing(
    container: Container, force: None, people: People, clock: FakeClock
) -> None:
    dispatcher = people(Role.DISPATCHER)
    report = container.dispatch.units.report_position
    before = unit_row(container, "AS11")
    for lat, lon, at, field in (
        (40.0, -1.5, None, "latitude"),  # Madrid
        (52.3, 10.0, None, "longitude"),
        (52.3, None, None, "longitude"),
        (None, -1.5, None, "latitude"),
        (52.3, -1.5, clock() + timedelta(minutes=5), "at"),
    ):
        with pytest.raises(DomainError) as refused:
            report(dispatcher, "AS11", lat, lon, at, clock())
        assert refused.value.field == field
    assert unit_row(container, "AS11") == before
    with pytest.raises(PermissionError):
        report(people(Role.ANALYST), "AS11", 52.3, -1.5, None, clock())
