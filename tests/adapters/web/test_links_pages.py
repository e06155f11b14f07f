"""The links and log panels and the search page, in-process: plain words, forms, refusals."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.adapters.web.test_pages import csrf_in, log_in
from tests.conftest import FakeClock, People
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.incidents import Channel, Contact

HTMX = {"HX-Request": "true"}


def open_call(container: Container, people: People, clock: FakeClock, **changes: object) -> str:
    values: dict[str, object] = {
        "channel": Channel.EMERGENCY,
        "received_at": clock(),
        "opening_category": "concern_for_safety",
        "caller_name": "Ada Quill",
        "caller_phone": "07700900123",
        "postcode": "TH4 7QX",
        "account": "He's at the door.",
    } | changes
    return str(container.incidents.open(people(), Contact(**values), clock()).incident["reference"])  # type: ignore[arg-type]


def test_the_panel_offers_a_duplicate_and_linking_it_goes_to_the_first(
    client: TestClient, people: People, container: Container, clock: FakeClock
) -> None:
    first = open_call(container, people, clock)
    clock.advance(minutes=3)
    second = open_call(container, people, clock, caller_name="Bo Quill", account="Same man again.")
    log_in(client, people(Role.CALL_HANDLER).username)
    panel = client.get(f"/incidents/{second}/links/panel?back=/incidents/{second}/assess")
    assert panel.status_code == 200
    assert f'id="candidate-{first}"' in panel.text and "same caller number 07700 900123" in panel.text
    assert "None" not in panel.text
    form = {"csrf_token": csrf_in(panel.text), "other": first, "relation": "duplicate", "back": "/x"}
    done = client.post(f"/incidents/{second}/links", data=form, headers=HTMX)
    assert done.status_code == 204 and done.headers["HX-Redirect"] == f"/incidents/{first}"
    shown = client.get(f"/incidents/{first}/links/panel").text
    assert (
        "Duplicate call recorded on this incident" in shown
        and "Bo Quill" in shown
        and "Same man again." in shown
    )


def test_a_refused_link_comes_back_in_the_panel_naming_the_field(
    client: TestClient, people: People, container: Container, clock: FakeClock
) -> None:
    reference = open_call(container, people, clock)
    log_in(client, people(Role.DISPATCHER).username)
    panel = client.get(f"/incidents/{reference}/links/panel")
    form = {"csrf_token": csrf_in(panel.text), "other": reference, "relation": "related"}
    refused = client.post(f"/incidents/{reference}/links", data=form, headers=HTMX)
    assert refused.status_code == 422
    assert 'id="link-other-error"' in refused.text and "cannot be linked to itself" in refused.text
    plain = client.post(f"/incidents/{reference}/links", data=form)
    assert plain.status_code == 422 and "Nothing was changed" in plain.text


def test_the_log_panel_adds_an_entry_and_keeps_a_refused_one(
    client: TestClient, people: People, container: Container, clock: FakeClock
) -> None:
    reference = open_call(container, people, clock)
    user = people(Role.SUPERVISOR)
    log_in(client, user.username)
    panel = client.get(f"/incidents/{reference}/log/panel")
    assert "Nothing in the log yet." in panel.text and "data-submit-on-ctrl-enter" in panel.text
    token = csrf_in(panel.text)
    added = client.post(
        f"/incidents/{reference}/log", data={"csrf_token": token, "text": "Called back: safe."}, headers=HTMX
    )
    assert added.status_code == 200 and "Called back: safe." in added.text and user.username in added.text
    refused = client.post(
        f"/incidents/{reference}/log", data={"csrf_token": token, "text": "  "}, headers=HTMX
    )
    assert refused.status_code == 422 and 'id="log-text-error"' in refused.text
    plain = client.post(
        f"/incidents/{reference}/log",
        data={"csrf_token": token, "text": "Unit stood down."},
        follow_redirects=False,
    )
    assert plain.status_code == 303 and plain.headers["location"] == f"/incidents/{reference}"


def test_the_search_page_is_in_the_navigation_and_finds_by_phone_in_plain_words(
    client: TestClient, people: People, container: Container, clock: FakeClock
) -> None:
    reference = open_call(container, people, clock)
    log_in(client, people(Role.DISPATCHER).username)
    home = client.get("/queue")
    assert 'href="/incidents/search"' in home.text
    empty = client.get("/incidents/search")
    assert empty.status_code == 200 and "search-results" not in empty.text
    found = client.get("/incidents/search?phone=07700+900123&go=1")
    assert found.status_code == 200
    assert f'data-reference="{reference}"' in found.text and "1 incident found" in found.text
    assert "Concern for safety" in found.text or "concern" in found.text.lower()
    assert "None" not in found.text and "concern_for_safety</td>" not in found.text
    bad = client.get("/incidents/search?date_from=yesterday&go=1")
    assert bad.status_code == 422 and 'id="date_from-error"' in bad.text


def test_the_search_page_says_a_role_without_it_may_not_search(client: TestClient, people: People) -> None:
    log_in(client, people(Role.ANALYST).username)
    assert 'href="/incidents/search"' not in client.get("/queue").text
    assert client.get("/incidents/search?phone=07700900123").status_code == 403


def test_the_board_marks_linked_incidents(
    client: TestClient, people: People, container: Container, clock: FakeClock
) -> None:
    first = open_call(container, people, clock)
    second = open_call(container, people, clock)
    handler = people()
    container.links.link(handler, second, first, "related", None, clock())
    log_in(client, people(Role.DISPATCHER).username)
    board = client.get("/board/panels").text
    assert f'linked: <a href="/board/incidents/{second}">{second}</a>' in board
    assert f'linked: <a href="/board/incidents/{first}">{first}</a>' in board
    panel = client.get(f"/board/incidents/{first}").text
    assert f"/incidents/{first}/links/panel" in panel and f"/incidents/{first}/log/panel" in panel
