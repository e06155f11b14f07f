"""The intelligence panel in-process: the partials htmx swaps in as the handler types, the
errors by their field, attaching, opening a restricted marker, and the incident's record."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.adapters.web.test_assessment_pages import new_call
from tests.adapters.web.test_intel_api import seed
from tests.adapters.web.test_pages import csrf_in, log_in
from tests.conftest import People
from thriives.bootstrap import Container
from thriives.domain.accounts import Role


@pytest.fixture
def population(container: Container) -> dict[str, int]:
    return seed(container, container.clock())


def on_call(client: TestClient, username: str) -> tuple[str, dict[str, str]]:
    """Log in, take a call and return its reference and the headers htmx would send."""
    log_in(client, username)
    reference = new_call(client)
    page = client.get(f"/incidents/{reference}/assess")
    return reference, {"HX-Request": "true", "X-CSRF-Token": csrf_in(page.text)}


def errors_by_field(html: str) -> dict[str, str]:
    """The out-of-band messages a partial puts next to each search field."""
    found = re.findall(r'<span id="intel-err-(\w+)" hx-swap-oob="innerHTML">([^<]*)</span>', html)
    return {field: message for field, message in found}


def test_the_search_panel_sits_outside_the_assessment_form_which_listens_for_attaching(
    client: TestClient, people: People
) -> None:
    reference, _ = on_call(client, people(Role.CALL_HANDLER).username)
    page = client.get(f"/incidents/{reference}/assess").text
    search_at, search_end = (
        page.index('id="intel-search"'),
        page.index("</form>", page.index('id="intel-search"')),
    )
    assess_at = page.index('id="assess-form"')
    assert search_at < search_end < assess_at  # closed before the assessment form opens
    for field in ("name", "date_of_birth", "phone", "address", "postcode", "registration"):
        assert f'<label for="intel-{field}">' in page
    assert 'hx-trigger="input changed delay:400ms, submit"' in page
    assert "intel-attached from:body" in page[assess_at : page.index(">", assess_at)]


def test_typing_a_misspelt_name_shows_the_match_explained_with_markers_and_history(
    client: TestClient, people: People, population: dict[str, int]
) -> None:
    reference, htmx = on_call(client, people(Role.CALL_HANDLER).username)
    response = client.post(f"/incidents/{reference}/intel/search", data={"name": "Jon Smyth"}, headers=htmx)
    assert response.status_code == 200, response.text
    html = response.text
    assert errors_by_field(html) == dict.fromkeys(errors_by_field(html), "")  # every field cleared
    card = html[html.index(f'id="match-{population["john"]}"') :]
    assert "John Smith" in card and "born 07/03/1984" in card
    assert "<strong>name</strong>: surname phonetic, forename phonetic" in card
    assert "Weapons" in card and "known to carry a knife" in card
    assert "OCG nominal" not in html  # restricted: not for a call handler
    assert "Open (needs a reason)" not in html
    assert 'name="role" value="suspect"' in card
    jane = client.post(
        f"/incidents/{reference}/intel/search",
        data={"name": "Jane Smith", "date_of_birth": "02/11/1990"},
        headers=htmx,
    ).text
    assert "2 incidents</strong> in the last 12 months" in jane
    assert "repeat victim (2)" in jane and "last DASH medium" in jane
    assert "OLD-0" in jane and "Domestic incident" in jane
    assert "likely the person" in jane and "likely the person" not in html


@pytest.mark.parametrize(
    ("terms", "field", "message"),
    [
        ({}, "name", "give at least one of"),
        ({"name": "Mr Unknown"}, "name", "holds no name"),
        ({"name": "x" * 10_000}, "name", "is 10000 characters long; the most is 200"),
        ({"name": "x" * 20_000}, "name", "far too long"),
        ({"name": "Jane Smith", "phone": "call me maybe"}, "phone", "may hold only digits"),
        ({"name": "Jane Smith", "postcode": "NOT A CODE"}, "postcode", "is not a UK postcode"),
        ({"date_of_birth": "31/02/1980"}, "date_of_birth", "is not a real date"),
    ],
)
def test_a_refused_search_names_the_field_in_words(
    client: TestClient, people: People, terms: dict[str, str], field: str, message: str
) -> None:
    reference, htmx = on_call(client, people(Role.CALL_HANDLER).username)
    response = client.post(f"/incidents/{reference}/intel/search", data=terms, headers=htmx)
    assert response.status_code == 422
    shown = errors_by_field(response.text)
    assert message in shown[field]
    assert all(not text for name, text in shown.items() if name != field)
    assert "Not searched" in response.text and len(response.text) < 5_000


def test_without_javascript_a_refused_search_comes_back_as_a_page_with_the_input_kept(
    client: TestClient, people: People
) -> None:
    log_in(client, people(Role.CALL_HANDLER).username)
    reference = new_call(client)
    token = csrf_in(client.get(f"/incidents/{reference}/assess").text)
    data = {"csrf_token": token, "name": "Jane Smith", "postcode": "TH1 ZZZ"}
    page = client.post(f"/incidents/{reference}/intel/search", data=data)
    assert page.status_code == 422
    assert 'id="intel-name" name="name" value="Jane Smith"' in page.text
    assert re.search(r'id="intel-postcode"[^>]*value="TH1 ZZZ"[^>]*aria-invalid="true"', page.text)
    assert re.search(r'id="intel-err-postcode"[^>]*>is not a UK postcode', page.text)
    assert f'href="/incidents/{reference}/assess"' in page.text


def test_a_search_without_the_csrf_token_is_refused(client: TestClient, people: People) -> None:
    reference, htmx = on_call(client, people(Role.CALL_HANDLER).username)
    response = client.post(
        f"/incidents/{reference}/intel/search", data={"name": "Jane Smith"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 403 and "Page out of date" in response.text


def test_a_role_that_may_not_search_is_told_so_in_words(client: TestClient, people: People) -> None:
    reference, _ = on_call(client, people(Role.CALL_HANDLER).username)
    log_in(client, people(Role.ANALYST).username)
    token = csrf_in(client.get("/queue").text)
    response = client.post(
        f"/incidents/{reference}/intel/search",
        data={"name": "Jane Smith"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 403  # refused by the write-route table, before the search
    assert "Your role (analyst) cannot do this." in response.text


def test_attaching_refreshes_the_attached_list_and_the_proposal(
    client: TestClient, people: People, population: dict[str, int]
) -> None:
    reference, htmx = on_call(client, people(Role.CALL_HANDLER).username)
    assert "Nobody yet" in client.get(f"/incidents/{reference}/intel/attached").text
    found = client.post(f"/incidents/{reference}/intel/search", data={"name": "John Smith"}, headers=htmx)
    search_id = re.search(r'name="search_id" value="(\d+)"', found.text)
    assert search_id is not None
    form = {"person_id": str(population["john"]), "search_id": search_id[1], "role": "suspect"}
    attached = client.post(f"/incidents/{reference}/intel/attach", data=form, headers=htmx)
    assert attached.status_code == 200
    assert attached.headers["HX-Trigger"] == "intel-attached"
    assert "Attached as suspect." in attached.text
    again = client.post(f"/incidents/{reference}/intel/attach", data=form, headers=htmx)
    assert "Already attached as suspect." in again.text
    listed = client.get(f"/incidents/{reference}/intel/attached").text
    assert re.search(r"<strong>John Smith</strong>, born 07/03/1984: suspect", listed)
    proposal = client.post(f"/incidents/{reference}/assess/preview", data={"model": "thriives"}, headers=htmx)
    assert "Intelligence → High" in proposal.text
    assert "marker on record: Weapons" in proposal.text


def test_a_bad_attach_says_why_and_without_javascript_an_attach_returns_to_the_assessment(
    client: TestClient, people: People, population: dict[str, int]
) -> None:
    reference, htmx = on_call(client, people(Role.CALL_HANDLER).username)
    form = {"person_id": str(population["jane"]), "role": "bystander"}
    refused = client.post(f"/incidents/{reference}/intel/attach", data=form, headers=htmx)
    assert refused.status_code == 422 and "Not attached: role must be one of" in refused.text
    bad_id = client.post(f"/incidents/{reference}/intel/attach", data=form | {"person_id": "x"}, headers=htmx)
    assert bad_id.status_code == 422 and "person id is not a record number" in bad_id.text
    unsearched = client.post(
        f"/incidents/{reference}/intel/attach", data=form | {"role": "victim"}, headers=htmx
    )
    assert unsearched.status_code == 422 and "search id attach a person from a search" in unsearched.text
    found = client.post(f"/incidents/{reference}/intel/search", data={"name": "Jane Smith"}, headers=htmx)
    search_id = re.search(r'name="search_id" value="(\d+)"', found.text)
    assert search_id is not None
    plain = {
        "csrf_token": htmx["X-CSRF-Token"],
        "person_id": str(population["jane"]),
        "role": "victim",
        "search_id": search_id[1],
    }
    back = client.post(f"/incidents/{reference}/intel/attach", data=plain, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/incidents/{reference}/assess"


def test_a_supervisor_opens_a_restricted_marker_with_a_reason_and_a_handler_cannot(
    client: TestClient, people: People, population: dict[str, int]
) -> None:
    handler = people(Role.CALL_HANDLER).username
    reference, htmx = on_call(client, people(Role.SUPERVISOR).username)
    found = client.post(f"/incidents/{reference}/intel/search", data={"name": "John Smith"}, headers=htmx)
    assert "OCG nominal" in found.text and "restricted" in found.text
    marker = re.search(r'hx-post="/intel/markers/(\d+)/open"', found.text)
    assert marker is not None and "Open (needs a reason)" in found.text
    url = f"/intel/markers/{marker[1]}/open"
    assert "nominal of the Ashcombe group" not in found.text
    refused = client.post(url, data={"justification": "why"}, headers=htmx)
    assert refused.status_code == 422
    assert re.search(rf'id="err-why-{marker[1]}" hx-swap-oob="innerHTML">say why', refused.text)
    opened = client.post(url, data={"justification": "officer safety at a DA call"}, headers=htmx)
    assert opened.status_code == 200 and "nominal of the Ashcombe group" in opened.text
    _, handler_htmx = on_call(client, handler)
    denied = client.post(url, data={"justification": "officer safety at a DA call"}, headers=handler_htmx)
    assert denied.status_code == 403 and "cannot do this" in denied.text
    assert "nominal of the Ashcombe group" not in denied.text


def test_the_incident_page_lists_the_searches_and_the_people_attached(
    client: TestClient, people: People, population: dict[str, int]
) -> None:
    handler = people(Role.CALL_HANDLER).username
    reference, htmx = on_call(client, handler)
    found = client.post(
        f"/incidents/{reference}/intel/search",
        data={"name": "Jon Smyth", "phone": "07700 900999"},
        headers=htmx,
    )
    search_id = re.search(r'name="search_id" value="(\d+)"', found.text)
    assert search_id is not None
    form = {"person_id": str(population["john"]), "role": "suspect", "search_id": search_id[1]}
    client.post(f"/incidents/{reference}/intel/attach", data=form, headers=htmx)
    page = client.get(f"/incidents/{reference}").text
    assert f'hx-get="/incidents/{reference}/intel/panel"' in page
    log_in(client, people(Role.SUPERVISOR).username)
    panel = client.get(f"/incidents/{reference}/intel/panel").text
    assert "Searches made (1)" in panel
    row = re.search(r'<tr id="search-\d+">(.*?)</tr>', panel, re.S)
    assert row is not None
    assert handler in row[1] and "name “jon smyth”; phone 07700900999" in row[1]
    assert re.search(r"<td>\d+</td>$", row[1])  # how many were found
    assert "John Smith, born 07/03/1984" in panel and "<td>suspect</td>" in panel
