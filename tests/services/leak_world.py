"""Generated intelligence worlds and the checks that nothing restricted leaks from a search.

Used by ``tests/services/test_restricted_leaks.py`` (a few worlds on both stores) and by
``bench/leak_property.py`` (at least 10,000 cases on SQLite). A *world* is a handful of
people on a few addresses (so some live together), with markers on people and addresses:
protected addresses, other restricted markers (OCG nominal, intelligence report) and an
open one (weapons), each active, expired or not yet in force. A *case* is one search by
one role in one world.

What must hold in every case (``check_search``):

1. **Non-interference.** The matches, their scores, bands and explanations, how many people
   were considered and the likely one are exactly what the pure matching rules give on the
   same world with every protected address taken away (an oracle computed here, with the
   protection rule written out again independently): a protected address brings no one
   in, scores nothing and explains nothing, whoever searches.
2. No protected address (its text, street or postcode) appears in the matches as the API
   serialises them, for any role.
3. A role that may not see restricted markers is shown none, and no ``address_withheld``
   flag; a role that may is shown them without detail, and the flag only where an address
   was withheld.

``check_outputs`` then reads what the rest of the application shows about the world's
incident (the page fragment of a search, the event stream, the timeline, the incident's
search record, the proposal once a person is attached, the compliance CSV and printable
report) and fails on any protected address, restricted marker label, or kind-specific raise
shown to a role that may not see it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import delete, insert

from thriives.adapters.db.intel_tables import (
    addresses,
    aliases,
    incident_links,
    markers,
    past_links,
    people,
    person_addresses,
    phones,
    search_keys,
    vehicles,
)
from thriives.adapters.web.intel_api import search_out
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Permission, Role, can
from thriives.domain.addresses import parse_address
from thriives.domain.matching import PersonFacts, likely, person_keys, query_keys, rank
from thriives.services import intel_records as records

# Every address has a street and a postcode of its own, so a street or postcode seen in an
# output names exactly one address.
PLACES = (
    "12 Alder Road, Thornbury TH1 1AA",
    "Flat 3, 12 Alder Road, Thornbury TH1 1AA",  # the same building, another flat
    "4 Birch Lane, Ashcombe TH2 2BB",
    "27 Cedar Way, Thornbury TH3 3DX",
    "9 Damson Close, Ashcombe TH4 4DD",
    "51 Elm Terrace, Thornbury TH5 5EE",
)
FORENAMES = ("John", "Jon", "Jane", "Ann")
SURNAMES = ("Smith", "Smyth", "Okoro", "Price")
BIRTHS = (date(1980, 3, 7), date(1980, 7, 3), date(1991, 11, 2), None)
PHONES = ("07700900111", "07700900222", "07700900333")
MARKER_KINDS = ("protected_address", "ocg_nominal", "intelligence", "weapons")
SPANS = ("active", "expired", "future")
SEARCHING = (Role.CALL_HANDLER, Role.DISPATCHER, Role.SUPERVISOR, Role.PUBLIC_PROTECTION)
RESTRICTED_LABELS = ("OCG nominal", "Protected address", "Intelligence report")
INTEL_TABLES = (
    incident_links,
    search_keys,
    markers,
    past_links,
    person_addresses,
    phones,
    vehicles,
    aliases,
    addresses,
    people,
)


@dataclass(frozen=True)
class PersonSpec:
    forename: str
    surname: str
    born: date | None
    places: tuple[int, ...]  # indexes into PLACES
    phone: str | None
    markers: tuple[tuple[str, str], ...]  # (kind, span)


@dataclass(frozen=True)
class World:
    people: tuple[PersonSpec, ...]
    place_markers: tuple[tuple[int, str], ...]  # (place index, span) of protected_address markers
    searches: tuple[tuple[Role, dict[str, str]], ...]


@st.composite
def terms(draw: st.DrawFn) -> dict[str, str]:
    found: dict[str, str] = {}
    if draw(st.booleans()):
        found["name"] = f"{draw(st.sampled_from(FORENAMES))} {draw(st.sampled_from(SURNAMES))}"
    place = parse_address(draw(st.sampled_from(PLACES)))
    how = draw(st.sampled_from(("none", "postcode", "address", "both")))
    if how in ("postcode", "both"):
        found["postcode"] = place.postcode or ""
    if how in ("address", "both"):
        found["address"] = f"{place.number} {place.street}"
        if how == "address":
            found["address"] += f" {place.postcode}"
    if draw(st.booleans()):
        born = draw(st.sampled_from(BIRTHS[:3]))
        found["date_of_birth"] = born.isoformat() if born else ""
    if draw(st.integers(0, 3)) == 0:
        found["phone"] = draw(st.sampled_from(PHONES))
    if not any(found.values()):
        found["postcode"] = place.postcode or ""
    return found


person_specs = st.builds(
    PersonSpec,
    st.sampled_from(FORENAMES),
    st.sampled_from(SURNAMES),
    st.sampled_from(BIRTHS),
    st.lists(st.integers(0, len(PLACES) - 1), max_size=2, unique=True).map(tuple),
    st.none() | st.sampled_from(PHONES),
    st.lists(st.tuples(st.sampled_from(MARKER_KINDS), st.sampled_from(SPANS)), max_size=2).map(tuple),
)

worlds = st.builds(
    World,
    st.lists(person_specs, min_size=1, max_size=7).map(tuple),
    st.lists(st.tuples(st.integers(0, len(PLACES) - 1), st.sampled_from(SPANS)), max_size=2).map(tuple),
    st.lists(st.tuples(st.sampled_from(SEARCHING), terms()), min_size=1, max_size=16).map(tuple),
)


def _span(span: str, today: date) -> tuple[date | None, date | None]:
    if span == "active":
        return today - timedelta(days=30), None
    if span == "expired":
        return today - timedelta(days=90), today - timedelta(days=1)
    return today + timedelta(days=1), None


@dataclass
class Loaded:
    """A world as stored: its ids, and what is secret in it."""

    person_ids: list[int]
    place_ids: list[int]
    homes: dict[int, set[int]]  # person id -> address ids
    protected: set[int] = field(default_factory=set)  # address ids
    secrets: set[str] = field(default_factory=set)  # strings naming a protected address


def load(container: Container, world: World, now: datetime) -> Loaded:
    """Replace the intelligence records with this world's (the incidents stay)."""
    today = now.date()
    with container.uow(write=True) as uow:
        for table in INTEL_TABLES:
            uow.connection.execute(delete(table))
        place_ids = [records.save_address(uow, "w", f"a{i}", text) for i, text in enumerate(PLACES)]
        loaded = Loaded([], place_ids, {})
        number = 0
        for index, spec in enumerate(world.people):
            pid = records.save_person(
                uow, "w", f"p{index}", spec.forename, spec.surname, spec.born, None, now
            )
            loaded.person_ids.append(pid)
            loaded.homes[pid] = {place_ids[i] for i in spec.places}
            for i in spec.places:
                records.link_address(uow, pid, place_ids[i])
            if spec.phone:
                records.save_phone(uow, pid, spec.phone)
            for kind, span in spec.markers:
                start, end = _span(span, today)
                number += 1
                row = _marker(number, kind, start, end) | {"person_id": pid, "address_id": None}
                uow.connection.execute(insert(markers).values(**row))
        for i, span in world.place_markers:
            start, end = _span(span, today)
            number += 1
            row = _marker(number, "protected_address", start, end)
            uow.connection.execute(
                insert(markers).values(**row | {"person_id": None, "address_id": place_ids[i]})
            )
        records.rekey(uow, loaded.person_ids)
        uow.commit()
    loaded.protected = protected_by_rule(world, loaded)
    open_texts = [text for i, text in enumerate(PLACES) if place_ids[i] not in loaded.protected]
    for i, text in enumerate(PLACES):
        if place_ids[i] in loaded.protected:
            place = parse_address(text)
            street = " ".join(w.title() for w in place.street.split())
            for secret in (text, place.postcode or "", street):
                if secret and not any(secret.lower() in other.lower() for other in open_texts):
                    loaded.secrets.add(secret)
    return loaded


def _marker(number: int, kind: str, start: date | None, end: date | None) -> dict[str, Any]:
    return {
        "source": "w",
        "source_id": f"m{number}",
        "kind": kind,
        "origin": "generated",
        "valid_from": start,
        "valid_to": end,
        "detail": f"detail {kind} {number}",
    }


def protected_by_rule(world: World, loaded: Loaded) -> set[int]:
    """The protection rule written out again, from the world rather than the store: an
    address is protected when an active protected-address marker is on it or on anyone who
    lives there."""
    found = {loaded.place_ids[i] for i, span in world.place_markers if span == "active"}
    for pid, spec in zip(loaded.person_ids, world.people, strict=True):
        if any(kind == "protected_address" and span == "active" for kind, span in spec.markers):
            found |= loaded.homes[pid]
    return found


def expected(container: Container, loaded: Loaded, query: Any) -> tuple[list[Any], int, int | None]:
    """The oracle: matching on the world with the protected addresses taken away."""
    policy = container.intel.policy
    with container.uow() as uow:
        facts: list[PersonFacts] = uow.intel.facts(loaded.person_ids, frozenset(loaded.protected))
    wanted = query_keys(query)
    candidates = [f for f in facts if person_keys(f) & wanted]
    matches = rank(query, candidates, policy.bands, policy.shown)
    best = likely(matches, policy.bands)
    return matches, len(candidates), best.person_id if best else None


def check_search(container: Container, loaded: Loaded, actor: Actor, result: Any) -> None:
    """The three properties of one search (see the module's docstring)."""
    matches, considered, best = expected(container, loaded, result.query)
    got = [found["match"] for found in result.matches]
    assert got == matches, f"ranking differs from the oracle: {got} != {matches}"
    assert result.considered == considered and result.likely == best
    served = json.dumps(search_out(result)["matches"], default=str)
    leaked = [s for s in loaded.secrets if s.lower() in served.lower()]
    assert not leaked, f"protected address in the matches: {leaked}"
    entitled = can(actor.role, Permission.VIEW_RESTRICTED_INTEL)
    for found in result.matches:
        person = found["person"]
        assert not {a["id"] for a in person["addresses"]} & loaded.protected
        hidden = bool(loaded.homes[person["id"]] & loaded.protected)
        assert person["address_withheld"] == (entitled and hidden)
        for marker in found["markers"]:
            assert entitled or not marker.restricted, f"restricted marker shown: {marker.code}"
            assert not marker.restricted or marker.detail is None


def hidden_from(role: Role, loaded: Loaded, typed: dict[str, str]) -> list[str]:
    """What a page shown to this role must not contain: the protected addresses (except
    what the user typed themselves) and, for a role that may not see restricted markers,
    their labels and the word "withheld"."""
    said = " ".join(typed.values()).lower()
    words = [s for s in loaded.secrets if s.lower() not in said]
    if not can(role, Permission.VIEW_RESTRICTED_INTEL):
        words += [*RESTRICTED_LABELS, "withheld", "restricted marker", "ocg_nominal", "protected_address"]
    return words


def leaks(text: str, words: list[str]) -> list[str]:
    lowered = text.lower()
    return [w for w in words if w.lower() in lowered]


class Pages:
    """The application as each role sees it over HTTP: a logged-in page session and an API
    token per role, on one TestClient."""

    def __init__(self, client: Any, container: Container, users: dict[Role, Actor]) -> None:
        self.client, self.container, self.users = client, container, users
        clock = container.clock
        self.tokens = {
            role: {"Authorization": f"Bearer {container.accounts.issue_token(a.username, 'leaks', clock())}"}
            for role, a in users.items()
        }
        self.as_role: Role | None = None
        self.csrf = ""

    def log_in(self, role: Role, reference: str) -> dict[str, str]:
        from tests.adapters.web.test_pages import csrf_in, log_in

        if self.as_role != role:
            self.client.cookies.clear()
            log_in(self.client, self.users[role].username)
            self.as_role = role
            self.csrf = csrf_in(self.client.get(f"/incidents/{reference}").text)
        return {"HX-Request": "true", "X-CSRF-Token": self.csrf}


def check_outputs(pages: Pages, world: World, loaded: Loaded, reference: str, after: int) -> int:
    """Every other place a role could see this world's search: returns how many were read.

    Searches once more through the page (the htmx fragment), attaches the best match from
    that search, then reads the proposal, the attached list, the incident's search record
    (page and API), the incident page, its timeline (page and API) and the event stream.
    """
    client = pages.client
    role, typed = world.searches[0]
    all_typed = {f"{i}{k}": v for i, (_, t) in enumerate(world.searches) for k, v in t.items()}
    htmx = pages.log_in(role, reference)
    shown: dict[str, str] = {}
    found = client.post(f"/incidents/{reference}/intel/search", data=typed, headers=htmx)
    assert found.status_code == 200, found.text
    shown["search fragment"] = found.text
    person = re.search(r'name="person_id" value="(\d+)"', found.text)
    search_id = re.search(r'name="search_id" value="(\d+)"', found.text)
    if person and search_id:
        form = {"person_id": person[1], "search_id": search_id[1], "role": "victim"}
        attached = client.post(f"/incidents/{reference}/intel/attach", data=form, headers=htmx)
        shown["attach"] = attached.text
        preview = client.post(
            f"/incidents/{reference}/assess/preview", data={"model": "thriives"}, headers=htmx
        )
        shown["proposal"] = preview.text
        token = pages.tokens[role]
        body = {"model": "thriives", "ratings": {}, "answers": {}}
        api_preview = client.post(
            f"/api/v1/incidents/{reference}/assessments/preview", json=body, headers=token
        )
        shown["proposal (API)"] = api_preview.text
    for path in (
        f"/incidents/{reference}/intel/attached",
        f"/incidents/{reference}/intel/panel",
        f"/incidents/{reference}/log/panel",
        f"/incidents/{reference}",
    ):
        shown[path] = client.get(path).text
    token = pages.tokens[role]
    for path in (
        f"/api/v1/incidents/{reference}/intel",
        f"/api/v1/incidents/{reference}/log",
        f"/api/v1/events?after={after}&limit=500",
    ):
        shown[path] = client.get(path, headers=token).text
    words = hidden_from(role, loaded, all_typed)
    for where, text in shown.items():
        found_words = leaks(text, words)
        assert not found_words, f"{role.value} sees {found_words} in {where}"
    return len(shown)
