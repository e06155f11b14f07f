"""The live board, the dispatch panel, appointments and the reassessment form, in-process.

The deadline worker does not run here (``worker_in_process`` off): a test fires deadlines
itself, so what the board shows never depends on a thread's timing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from tests.adapters.web.test_pages import csrf_in, log_in
from tests.conftest import FakeClock, People, test_settings
from thriives.adapters.db.tables import districts, stations, units
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Actor, Role
from thriives.domain.assessment import AdviceRecord, CallFacts, Rating, Submission, advice_due
from thriives.domain.incidents import Channel, Contact

STATION = (52.0, -1.0)
# (call sign, type, skills, offset north of the station in degrees): TH-A2 is DA-trained.
UNITS = (
    ("TH-A1", "response", ["taser"], 0.0),
    ("TH-A2", "domestic_abuse", ["da_trained"], 0.01),
    ("TH-A3", "neighbourhood", [], 0.05),
)


@pytest.fixture
def container(database_url: str, clock: FakeClock) -> Iterator[Container]:
    built = build(test_settings(database_url, worker_in_process=False), clock=clock)
    seed_force(built)
    yield built
    built.close()


def seed_force(container: Container) -> None:
    """One urban district, one station and the units above, as the demo force is inserted."""
    with container.uow(write=True) as uow:
        uow.connection.execute(insert(districts), [{"code": "TC", "name": "Thorn City", "kind": "urban"}])
        uow.connection.execute(
            insert(stations),
            [
                {
                    "code": "TCS",
                    "name": "Thorn Central",
                    "district_code": "TC",
                    "latitude": STATION[0],
                    "longitude": STATION[1],
                }
            ],
        )
        uow.connection.execute(
            insert(units),
            [
                {
                    "call_sign": call_sign,
                    "unit_type": kind,
                    "station_code": "TCS",
                    "skills": skills,
                    "status": "available",
                    "latitude": STATION[0] + north,
                    "longitude": STATION[1],
                    "version": 1,
                }
                for call_sign, kind, skills, north in UNITS
            ],
        )
        uow.commit()


def open_call(
    container: Container, actor: Actor, category: str = "domestic_incident", qualifiers: tuple[str, ...] = ()
) -> str:
    now = container.clock()
    contact = Contact(
        channel=Channel.EMERGENCY,
        received_at=now,
        opening_category=category,
        qualifiers=qualifiers,
        latitude=STATION[0] + 0.005,
        longitude=STATION[1],
        account="He has come back and is shouting.",
    )
    return str(container.incidents.open(actor, contact, now).incident["reference"])


def grade(container: Container, actor: Actor, reference: str, chosen: str | None = None) -> int:
    """Assess with every factor low (a DA call is an emergency); ``chosen`` overrides upward."""
    with container.uow() as uow:
        incident = uow.incidents.require(reference)
    policy = container.assessment_policy
    facts = CallFacts(incident["opening_category"], frozenset(incident["qualifiers"]), incident["channel"])
    submission = Submission(
        model="thriives",
        ratings={
            f.code: Rating("low", f"{f.name}: nothing more said") for f in policy.models["thriives"].factors
        },
        advice={code: AdviceRecord(True) for code in advice_due(facts, policy)},
        grade=chosen,
    )
    return container.assessments.assess(actor, reference, submission, container.clock()).version


def post(client: TestClient, path: str, page: str, **fields: Any) -> Any:
    """Post a form with the CSRF token from ``page``, without following the redirect."""
    return client.post(
        path, data={"csrf_token": csrf_in(client.get(page).text), **fields}, follow_redirects=False
    )


def rows(html: str, table: str) -> list[str]:
    """The data-reference of each row of one of the board's tables, in order."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-(?:reference|task)="([^"]+)"', body)


@pytest.fixture
def dispatcher(client: TestClient, people: People) -> Actor:
    actor = people(Role.DISPATCHER)
    log_in(client, actor.username)
    return actor


# ---- the board ------------------------------------------------------------------------------


def test_the_board_orders_the_queue_by_grade_and_shows_each_clock(
    client: TestClient, container: Container, dispatcher: Actor, clock: FakeClock
) -> None:
    theft = open_call(container, dispatcher, "crime_theft")
    grade(container, dispatcher, theft, "priority")
    clock.advance(minutes=1)
    domestic = open_call(container, dispatcher, "domestic_incident", ("domestic",))
    grade(container, dispatcher, domestic)
    ungraded = open_call(container, dispatcher, "crime_theft")
    page = client.get("/board")
    assert page.status_code == 200
    # The emergency first though newer; the ungraded 999 call is not read as low risk: it
    # comes after the emergency and above the priority call, with its grading clock.
    assert rows(page.text, "board-queue") == [domestic, ungraded, theft]
    assert 'class="gclock g-running"' in page.text and "grade within 5:00" in page.text
    assert 'data-due-at="2026-11-26T21:46:00.000+00:00"' in page.text  # 15 min urban target
    assert 'class="clock c-running"' in page.text and "15:00 left" in page.text
    assert 'sse-connect="/api/v1/board/stream?after=' in page.text
    assert re.search(r'id="count-breached">0<', page.text)
    assert "Timers are late" not in page.text
    clock.advance(minutes=16)
    later = client.get("/board/panels")
    assert "<html" not in later.text and 'id="board-queue"' in later.text
    assert "c-breached" in later.text and "1:00 over" in later.text
    assert re.search(r'id="count-breached">1<', later.text)
    # The worker has not fired the breach: the board says the timers are late.
    assert "Timers are late: is the worker running?" in later.text


def test_a_deadline_a_moment_past_its_time_is_no_alarm_but_one_left_unfired_is(
    client: TestClient, container: Container, dispatcher: Actor, clock: FakeClock
) -> None:
    reference = open_call(container, dispatcher, "domestic_incident", ("domestic",))
    grade(container, dispatcher, reference)  # at risk 11:15 after the call
    clock.advance(minutes=11, seconds=16)
    assert "Timers are late" not in client.get("/board/panels").text  # the worker's next look
    clock.advance(seconds=5)
    assert "Timers are late: is the worker running?" in client.get("/board/panels").text
    container.deadlines.fire_due(clock(), "test")
    board = client.get("/board/panels").text
    assert "Timers are late" not in board and "attendance clock at risk" in board


def test_a_dispatcher_sends_a_unit_moves_it_and_the_clock_stops(
    client: TestClient, container: Container, dispatcher: Actor, clock: FakeClock
) -> None:
    reference = open_call(container, dispatcher, "domestic_incident", ("domestic",))
    panel = client.get(f"/board/incidents/{reference}")
    assert "Resources are shown once the incident is graded" in panel.text
    assert 'id="assign-form"' not in panel.text
    grade(container, dispatcher, reference)
    panel = client.get(f"/board/incidents/{reference}")
    # DA-trained first, and why.
    assert re.findall(r'name="call_sign" value="([^"]+)"', panel.text)[:2] == ["TH-A2", "TH-A1"]
    assert "has Domestic-abuse trained" in panel.text and 'data-first="TH-A2"' in panel.text
    page = f"/board/incidents/{reference}"

    refused = post(client, f"{page}/assign", page, call_sign="TH-A1", reason="")
    assert refused.status_code == 422
    assert 'id="assign-reason-error"' in refused.text and "TH-A2 was recommended" in refused.text
    assert re.search(r'value="TH-A1" id="rec-\d+" data-key="\d+" checked', refused.text)  # choice kept

    assert post(client, f"{page}/assign", page, call_sign="TH-A2").status_code == 303
    panel = client.get(page)
    assert 'id="move-en-route"' in panel.text and "TH-A2" in panel.text
    board = client.get("/board")
    assert rows(board.text, "board-held") == [reference] and rows(board.text, "board-queue") == []

    clock.advance(minutes=3)
    moved = post(client, "/board/units/TH-A2/status", page, status="en_route", reference=reference)
    assert moved.status_code == 303 and moved.headers["location"] == page
    clock.advance(minutes=2)
    assert (
        post(client, "/board/units/TH-A2/status", page, status="at_scene", reference=reference).status_code
        == 303
    )
    board = client.get("/board")
    held = board.text.split('id="board-held"', 1)[1].split("</table>", 1)[0]
    assert "stopped: target met" in held and "data-due-at" not in held
    panel = client.get(page)
    assert "5 min 0 s from the call, 5 min 0 s from dispatch" in panel.text

    again = post(client, "/board/units/TH-A2/status", page, status="en_route", reference=reference)
    assert again.status_code == 422 and "cannot become en_route" in again.text


def test_taking_a_unit_away_needs_a_reason_and_opens_a_task_on_the_board(
    client: TestClient, container: Container, dispatcher: Actor
) -> None:
    reference = open_call(container, dispatcher, "domestic_incident", ("domestic",))
    grade(container, dispatcher, reference)
    page = f"/board/incidents/{reference}"
    post(client, f"{page}/assign", page, call_sign="TH-A2")
    refused = post(client, "/board/units/TH-A2/take-away", page, reason=" ", reference=reference)
    assert refused.status_code == 422 and 'id="take_away-reason-error"' in refused.text
    taken = post(
        client, "/board/units/TH-A2/take-away", page, reason="Diverted to an RTC", reference=reference
    )
    assert taken.status_code == 303
    board = client.get("/board")
    assert rows(board.text, "board-queue") == [reference]
    assert "assigned unit taken away" in board.text and "mandatory: domestic abuse" in board.text


def test_the_reassessment_form_names_each_missing_part_and_keeps_what_was_typed(
    client: TestClient, container: Container, dispatcher: Actor, clock: FakeClock
) -> None:
    reference = open_call(container, dispatcher, "domestic_incident", ("domestic",))
    grade(container, dispatcher, reference)
    page = f"/board/incidents/{reference}"
    clock.advance(minutes=1)
    assert post(client, f"{page}/cut-off", page).status_code == 303
    task = re.search(r'href="/reassessments/(\d+)"', client.get(page).text)
    assert task is not None
    form_page = f"/reassessments/{task[1]}"
    shown = client.get(form_page)
    assert "call cut off" in shown.text and "Every part is mandatory" in shown.text
    assert f'href="/incidents/{reference}/assess"' in shown.text
    assert 'name="review_minutes" inputmode="numeric" maxlength="5" value="30"' in shown.text
    assert (
        'id="reassessed_version" name="reassessed_version" inputmode="numeric" maxlength="7" value=""'
        in shown.text
    )

    missing = post(client, form_page, form_page, contact_note="Rang twice", safeguarding="advice")
    assert missing.status_code == 422 and 'id="contact_outcome-error"' in missing.text
    assert "Rang twice</textarea>" in missing.text and 'value="advice" checked' in missing.text

    no_rerun = post(
        client, form_page, form_page, contact_outcome="no_answer", safeguarding="advice", review_minutes="30"
    )
    assert no_rerun.status_code == 422 and 'id="reassessed_version-error"' in no_rerun.text
    assert 'value="no_answer" selected' in no_rerun.text

    bad_minutes = post(client, form_page, form_page, contact_outcome="no_answer", review_minutes="soon")
    assert bad_minutes.status_code == 422 and 'id="review_minutes-error"' in bad_minutes.text

    clock.advance(minutes=2)
    version = grade(container, dispatcher, reference)
    prefilled = client.get(form_page)
    assert f'name="reassessed_version" inputmode="numeric" maxlength="7" value="{version}"' in prefilled.text
    done = post(
        client,
        form_page,
        form_page,
        contact_outcome="spoke_to_victim",
        safeguarding=["advice", "welfare_check"],
        review_minutes="30",
        reassessed_version=str(version),
    )
    assert done.status_code == 303 and done.headers["location"] == "/board"
    assert rows(client.get("/board").text, "board-tasks") == []
    assert (
        "Completed" in client.get(form_page).text and 'id="reassess-form"' not in client.get(form_page).text
    )


def test_an_appointment_is_offered_booked_and_a_missed_one_starts_a_reassessment(
    client: TestClient, container: Container, dispatcher: Actor, people: People
) -> None:
    supervisor = people(Role.SUPERVISOR)
    slot = container.reassessments.open_slots(
        supervisor, "TC", date(2026, 11, 27), "early", 2, container.clock()
    )
    reference = open_call(container, dispatcher, "crime_theft")
    grade(container, dispatcher, reference, "scheduled")
    page = f"/board/incidents/{reference}"
    panel = client.get(page)
    assert (
        "An appointment may be offered" in panel.text
        and "grade scheduled may have an appointment" in panel.text
    )
    assert f'name="slot_id" value="{slot["id"]}"' in panel.text and "2 of 2 free" in panel.text

    no_place = post(
        client, f"{page}/appointment", page, slot_id=str(slot["id"]), at="2026-11-27T10:30", place=""
    )
    assert no_place.status_code == 422 and 'id="book-place-error"' in no_place.text
    assert 'value="2026-11-27T10:30"' in no_place.text
    outside = post(
        client, f"{page}/appointment", page, slot_id=str(slot["id"]), at="2026-11-27T16:00", place="Home"
    )
    assert outside.status_code == 422 and 'id="book-at-error"' in outside.text
    booked = post(
        client, f"{page}/appointment", page, slot_id=str(slot["id"]), at="2026-11-27T10:30", place="Home"
    )
    assert booked.status_code == 303
    panel = client.get(page)
    assert "Fri 27 Nov 10:30 at Home" in panel.text
    appointment = re.search(r'action="/board/appointments/(\d+)/end"', panel.text)
    assert appointment is not None
    end = f"/board/appointments/{appointment[1]}/end"
    no_note = post(client, end, page, outcome="missed", note="", reference=reference)
    assert no_note.status_code == 422 and 'id="end-note-error"' in no_note.text
    assert post(client, end, page, outcome="missed", note="Not in", reference=reference).status_code == 303
    assert "appointment missed or cancelled" in client.get("/board").text


def test_an_emergency_for_domestic_abuse_is_not_offered_an_appointment(
    client: TestClient, container: Container, dispatcher: Actor
) -> None:
    reference = open_call(container, dispatcher, "domestic_incident", ("domestic",))
    grade(container, dispatcher, reference)
    panel = client.get(f"/board/incidents/{reference}")
    assert "No appointment" in panel.text and "complete DASH first" in panel.text
    assert 'id="book-form"' not in panel.text


# ---- units and permissions ------------------------------------------------------------------


def test_a_supervisor_makes_a_unit_unavailable_from_the_board(
    client: TestClient, container: Container, people: People
) -> None:
    log_in(client, people(Role.SUPERVISOR).username)
    board = client.get("/board")
    assert 'aria-label="Make TH-A3 unavailable"' in board.text
    assert post(client, "/board/units/TH-A3/status", "/board", status="unavailable").status_code == 303
    board = client.get("/board")
    assert 'aria-label="Make TH-A3 available"' in board.text
    refused = post(client, "/board/units/TH-A1/status", "/board", status="at_scene")
    assert refused.status_code == 422 and "a unit that is available cannot become at_scene" in refused.text


def test_roles_that_may_not_dispatch_see_the_board_but_cannot_act(
    client: TestClient, container: Container, people: People
) -> None:
    handler = people(Role.CALL_HANDLER)
    reference = open_call(container, handler, "domestic_incident", ("domestic",))
    grade(container, handler, reference)
    log_in(client, handler.username)
    page = f"/board/incidents/{reference}"
    assert client.get("/board").status_code == 200
    refused = post(client, f"{page}/assign", page, call_sign="TH-A2")
    assert refused.status_code == 403 and "Your role (call handler) cannot do this." in refused.text

    analyst = TestClient(client.app)
    log_in(analyst, people(Role.ANALYST).username)
    board = analyst.get("/board")
    assert board.status_code == 200 and "Make TH-A1 unavailable" not in board.text
    assert analyst.get(page).status_code == 403
    assert reference in board.text and f'href="{page}"' not in board.text  # no link that only refuses
    queue = analyst.get("/queue").text
    assert reference in queue and f'href="/incidents/{reference}"' not in queue
    token = csrf_in(board.text)
    moved = analyst.post("/board/units/TH-A1/status", data={"csrf_token": token, "status": "unavailable"})
    assert moved.status_code == 403
    assert (
        TestClient(client.app).get("/board", follow_redirects=False).headers["location"]
        == "/login?next=/board"
    )


def test_the_incident_page_leaves_dispatching_to_the_board(
    client: TestClient, container: Container, dispatcher: Actor
) -> None:
    reference = open_call(container, dispatcher, "crime_theft")
    page = client.get(f"/incidents/{reference}")
    assert "Change status" not in page.text and 'name="status"' not in page.text  # no generic control
    assert f'href="/board/incidents/{reference}"' in page.text
    graded = post(client, f"/incidents/{reference}/status", f"/incidents/{reference}", status="graded")
    assert graded.status_code == 403  # the status route only reopens: a dispatcher may not
    refused = post(client, f"/incidents/{reference}/status", f"/incidents/{reference}", status="dispatched")
    assert refused.status_code == 403 and "cannot do this" in refused.text


def test_a_call_graded_by_its_full_assessment_shows_no_empty_initial_grade_card(
    client: TestClient, container: Container, dispatcher: Actor
) -> None:
    reference = open_call(container, dispatcher, "crime_theft")
    assert 'id="initial-grade"' in client.get(f"/board/incidents/{reference}").text  # quick grade offered
    grade(container, dispatcher, reference)
    page = client.get(f"/board/incidents/{reference}").text
    assert 'id="initial-grade"' not in page  # nothing to offer and nothing given: no blank card
