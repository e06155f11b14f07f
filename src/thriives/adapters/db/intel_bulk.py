"""Loading a generated population into empty intelligence tables, fast, on either store.

For the demo force and the benchmarks only: ``thriives import`` is the way real records
come in. Ids are assigned here (the tables must be empty of the source's records), rows go
in with ``executemany`` on SQLite and ``COPY`` on PostgreSQL, and each person's search
keys are computed by the same ``domain.matching.person_keys`` a live search uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, select, text

from thriives.adapters.db.intel_tables import (
    addresses,
    aliases,
    markers,
    past_incidents,
    past_links,
    people,
    person_addresses,
    phones,
    search_keys,
    vehicles,
)
from thriives.domain.addresses import Address, normalise_registration, parse_address
from thriives.domain.demo_population import DemoAddress, DemoHousehold, DemoPastIncident, DemoPerson
from thriives.domain.matching import Name, PersonFacts, key_id, person_keys
from thriives.domain.names import name_words

_COLUMNS: dict[str, tuple[str, ...]] = {
    "people": ("id", "source", "source_id", "forenames", "surname", "date_of_birth", "gender", "created_at"),
    "aliases": ("person_id", "forenames", "surname"),
    "addresses": (
        "id", "source", "source_id", "text", "flat", "number", "street", "town", "postcode", "uprn",
        "latitude", "longitude",
    ),
    "person_addresses": ("person_id", "address_id"),
    "phones": ("person_id", "number"),
    "vehicles": ("person_id", "registration", "description"),
    "markers": (
        "source", "source_id", "person_id", "address_id", "kind", "origin", "valid_from", "valid_to",
        "detail",
    ),
    "past_incidents": (
        "id", "source", "source_id", "reference", "occurred_at", "category", "grade", "dash_risk",
    ),
    "past_links": ("person_id", "past_incident_id", "role"),
    "search_keys": ("key", "person_id"),
}  # fmt: skip
_TABLES = {
    t.name: t
    for t in (
        people,
        aliases,
        addresses,
        person_addresses,
        phones,
        vehicles,
        markers,
        past_incidents,
        past_links,
        search_keys,
    )
}
_WITH_IDS = ("people", "addresses", "past_incidents")


class BulkLoader:
    """Buffer generated households and write them in batches; ``close`` writes the rest."""

    def __init__(self, connection: Connection, source: str, created_at: Any, batch: int = 20_000) -> None:
        self._c = connection
        self.source = source
        self.created_at = created_at
        self.batch = batch
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _COLUMNS}
        self.ids = {name: self._max_id(name) for name in _WITH_IDS}
        self.person_ids: dict[str, int] = {}
        self.people = 0

    def _max_id(self, name: str) -> int:
        return int(self._c.execute(select(func.coalesce(func.max(_TABLES[name].c.id), 0))).scalar_one())

    def _next(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name]

    def add(self, household: DemoHousehold) -> None:
        home_id, home = self._address(household.address)
        for person in household.members:
            self._person(person, home_id, home)
        for incident in household.incidents:
            self.add_incident(incident)
        if len(self.rows["search_keys"]) >= self.batch * 10:
            self.flush()

    def add_incident(self, incident: DemoPastIncident) -> int:
        """A past incident; its links name people already added (by their key)."""
        incident_id = self._next("past_incidents")
        self.rows["past_incidents"].append(
            (
                incident_id,
                self.source,
                incident.key,
                f"LEG-{incident.key}",
                incident.occurred_at,
                incident.category,
                incident.grade,
                incident.dash_risk,
            )
        )
        for person_key, role in incident.links:
            self.rows["past_links"].append((self.person_ids[person_key], incident_id, role))
        return incident_id

    def add_address(self, place: DemoAddress) -> int:
        """An address no one generated lives at now (a past or empty one)."""
        return self._address(place)[0]

    def _address(self, place: DemoAddress) -> tuple[int, Address]:
        address_id = self._next("addresses")
        parts = parse_address(place.text)
        self.rows["addresses"].append(
            (
                address_id,
                self.source,
                place.key,
                place.text,
                parts.flat,
                parts.number,
                parts.street,
                parts.town,
                parts.postcode,
                None,
                place.latitude,
                place.longitude,
            )
        )
        for kind in place.markers:
            self._marker(f"{place.key}-{kind}", None, address_id, kind)
        return address_id, parts

    def _marker(self, key: str, person_id: int | None, address_id: int | None, kind: str) -> None:
        self.rows["markers"].append(
            (self.source, key, person_id, address_id, kind, "legacy system", date(2024, 1, 1), None, None)
        )

    def _person(self, person: DemoPerson, home_id: int, home: Address) -> None:
        person_id = self._next("people")
        self.people += 1
        self.person_ids[person.key] = person_id
        self.rows["people"].append(
            (
                person_id,
                self.source,
                person.key,
                person.forenames,
                person.surname,
                person.date_of_birth,
                person.gender,
                self.created_at,
            )
        )
        places = [home]
        self.rows["person_addresses"].append((person_id, home_id))
        if person.previous_address:
            previous_id, previous = self._address(person.previous_address)
            self.rows["person_addresses"].append((person_id, previous_id))
            places.append(previous)
        names = [Name(tuple(name_words(person.forenames)), "".join(name_words(person.surname)))]
        for forenames, last in person.aliases:
            self.rows["aliases"].append((person_id, forenames, last))
            names.append(Name(tuple(name_words(forenames)), "".join(name_words(last))))
        self.rows["phones"].extend((person_id, number) for number in person.phones)
        registrations = frozenset(normalise_registration(r) for r in person.vehicles)
        self.rows["vehicles"].extend((person_id, r, None) for r in registrations)
        for kind in person.markers:
            self._marker(f"{person.key}-{kind}", person_id, None, kind)
        facts = PersonFacts(
            person_id,
            tuple(names),
            person.date_of_birth,
            tuple(places),
            frozenset(person.phones),
            registrations,
        )
        self.rows["search_keys"].extend((key_id(k), person_id) for k in person_keys(facts))

    def flush(self) -> None:
        for name, rows in self.rows.items():
            if rows:
                _write(self._c, name, rows)
                rows.clear()

    def close(self) -> None:
        """Write what is buffered and, on PostgreSQL, move the id sequences past the ids used."""
        self.flush()
        if self._c.dialect.name == "postgresql":
            for name in _WITH_IDS:
                self._c.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), GREATEST(MAX(id), 1))"
                        f" FROM {name}"
                    )
                )


def _write(connection: Connection, name: str, rows: Iterable[tuple[Any, ...]]) -> None:
    columns = _COLUMNS[name]
    raw = connection.connection.dbapi_connection
    assert raw is not None
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        if name in ("people", "past_incidents"):
            rows = [tuple(_sqlite_value(v) for v in row) for row in rows]
        marks = ", ".join("?" for _ in columns)
        cursor = raw.cursor()
        cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)
        cursor.close()


def _sqlite_value(value: Any) -> Any:
    """Dates and times as SQLAlchemy stores them on SQLite (``UtcDateTime``: naive UTC)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value
