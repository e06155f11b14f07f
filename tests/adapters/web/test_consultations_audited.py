"""Every read of personal data is audited: each GET route of the app, called on an incident
holding personal data by a role allowed to read it, either writes a consultation entry to
the audit or returns none of that personal data.

The routes are read from ``app.routes``, so a route added later is walked too: one that
needs a path parameter this test cannot fill fails until it is given one here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.routing import Route

from tests.conftest import FakeClock, People
from tests.services.test_assessments import open_call
from thriives.adapters.db.tables import audit_log
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.incidents import Channel
from thriives.services import intel_records as records

# The seeded personal data: any of these in a response means it holds personal data.
CALLER = "Oluwaseun Pemberton-Hale"
PHONE = "07700900481"
PLACE = "14 Quarry Bank Terrace"
POSTCODE = "TH7 3RW"
PERSON = ("Philippa", "Marchbanks")
PERSONAL = (CALLER, PHONE, PLACE, POSTCODE, " ".join(PERSON))

# Routes that must write a consultation entry whatever they show (issue #13 names them):
# an incident's assessments and DASH history, its search record and its dispatch timing
# (the DASH form at /incidents/{reference}/dash shows no history, only the questions).
MUST_AUDIT = {
    "/api/v1/incidents/{reference}/assessments",
    "/api/v1/incidents/{reference}/intel",
    "/api/v1/incidents/{reference}/dispatch",
    "/incidents/{reference}/assessments/panel",
    "/incidents/{reference}/intel/attached",
    "/incidents/{reference}/intel/panel",
    "/incidents/{reference}/units/panel",
}

# Routes not walked, each with why.
SKIPPED = {
    "/api/v1/events/stream": "a server-sent event stream that never ends; /api/v1/events is its page",
    "/api/v1/board/stream": "a server-sent event stream that never ends; /api/v1/board is its page",
    "/api/v1/compliance/report.pdf": "the printed /api/v1/compliance/report (needs Chromium)",
    "/static/{path}": "the app's own scripts and styles",
}

# The live queue lists every open incident with where it is (where help is to be sent) for
# every control-room user, polled every few seconds. Who was shown which incident is audited
# when it changes, not per poll (services/queue_sightings.py; tests/services/
# test_queue_sightings.py walks these routes): a second read of the same queue by the same
# user writes nothing. It may show the location and nothing else personal: the test fails
# if it ever shows more.
LOCATION_ONLY = {
    "/api/v1/incidents": "the live queue (JSON)",
    "/": "the live queue, the home page of a logged-in user",
    "/queue": "the live queue page",
    "/queue/table": "the live queue's table, polled by the page",
}
LOCATION = (PLACE, POSTCODE)

ROLES = (
    Role.SUPERVISOR,
    Role.CALL_HANDLER,
    Role.DISPATCHER,
    Role.PUBLIC_PROTECTION,
    Role.ANALYST,
    Role.ADMIN,
)


def seeded(container: Container, people: People, clock: FakeClock) -> dict[str, Any]:
    """An incident with a named caller, their phone and address, and a person attached."""
    handler = people(Role.CALL_HANDLER)
    incident = open_call(
        container,
        handler,
        clock,
        channel=Channel.EMERGENCY,
        caller_name=CALLER,
        caller_phone=PHONE,
        location_text=f"{PLACE}, Thornbury",
        postcode=POSTCODE,
    )
    with container.uow(write=True) as uow:
        pid = records.save_person(uow, "t", "p1", PERSON[0], PERSON[1], date(1979, 5, 4), None, clock())
        records.rekey(uow, [pid])
        uow.commit()
    found = container.intel.search(handler, {"name": " ".join(PERSON)}, clock(), incident["reference"])
    container.intel.attach(handler, incident["reference"], pid, "victim", clock(), found.search_id)
    return {"reference": incident["reference"], "category": "domestic_incident"}


def consultations(container: Container) -> int:
    with container.uow() as uow:
        query = select(func.count()).select_from(audit_log).where(audit_log.c.operation == "consultation")
        return int(uow.connection.execute(query).scalar_one())


def every_route(routes: Any) -> list[Route]:
    """The app's routes, with each included router's own (no router here adds a prefix
    when it is included: each declares its own)."""
    found: list[Route] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += every_route(inner.routes)
        elif isinstance(route, Route):
            found.append(route)
    return found


def fill(path: str, values: dict[str, Any]) -> str:
    def one(found: re.Match[str]) -> str:
        name = found[1].split(":")[0]
        assert name in values, f"{path}: give the test a value for {{{name}}}"
        return str(values[name])

    return re.sub(r"\{([^}]+)\}", one, path)


def test_every_get_route_that_shows_personal_data_audits_the_consultation(
    container: Container, client: TestClient, people: People, clock: FakeClock
) -> None:
    seed = seeded(container, people, clock)
    tokens = {}
    for role in ROLES:
        actor = people(role)
        tokens[role] = {
            "Authorization": f"Bearer {container.accounts.issue_token(actor.username, 't', clock())}"
        }
    day = clock().date().isoformat()
    values = seed | {
        "item_id": 1,
        "task_id": 1,
        "follow_up_id": 1,
        "draw_id": 1,
        "category": "domestic_incident",
        "path": "app.css",
        "username": people(Role.CALL_HANDLER).username,  # a colleague's account (admin pages)
    }
    query = f"?start={day}&end={day}&q={PERSON[1]}"
    unaudited, silent, walked = [], [], []
    for route in every_route(client.app.routes):  # type: ignore[attr-defined]
        if "GET" not in (route.methods or ()) or route.path in SKIPPED:
            continue
        url = fill(route.path, values) + query
        for role in ROLES:
            before = consultations(container)
            if route.path.startswith("/api/"):
                response = client.get(url, headers=tokens[role])
            else:
                client.cookies.clear()
                from tests.adapters.web.test_pages import log_in

                log_in(client, people(role).username)
                response = client.get(url)
            if response.status_code != 403:
                break
        walked.append((route.path, role.value, response.status_code))
        audited = consultations(container) > before
        shown = [p for p in PERSONAL if p.lower() in response.text.lower()]
        if route.path in LOCATION_ONLY:
            shown = [p for p in shown if p not in LOCATION]
        if shown and not audited:
            unaudited.append(f"{route.path} ({role.value}, {response.status_code}) shows {shown}")
        if route.path in MUST_AUDIT and not audited:
            silent.append(f"{route.path} ({role.value}, {response.status_code})")
    assert len(walked) > 50  # every route was reached, not just the app's own few
    assert not unaudited, "personal data read without a consultation entry:\n" + "\n".join(unaudited)
    assert not silent, "reads issue #13 names, not audited:\n" + "\n".join(silent)
