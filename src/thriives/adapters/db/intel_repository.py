"""Reading and writing the intelligence tables; a search's queries are all bounded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from thriives.adapters.db.intel_tables import (
    addresses,
    aliases,
    incident_links,
    markers,
    past_incidents,
    past_links,
    people,
    person_addresses,
    phones,
    searches,
    vehicles,
)
from thriives.adapters.db.tables import dash_assessments, incidents
from thriives.domain.addresses import Address
from thriives.domain.intel import HistoryLine, is_active
from thriives.domain.matching import BROAD_KEYS, KEY_WEIGHTS, NARROW_KEYS, Name, PersonFacts, key_id
from thriives.domain.names import name_words

# Statements built once; lists of ids go in as expanding parameters, so each is compiled once.
_IDS = bindparam("ids", expanding=True)
_PEOPLE = select(people).where(people.c.id.in_(_IDS))
_ALIASES = select(aliases).where(aliases.c.person_id.in_(_IDS))
_PHONES = select(phones).where(phones.c.person_id.in_(_IDS))
_VEHICLES = select(vehicles).where(vehicles.c.person_id.in_(_IDS))
_ADDRESSES = (
    select(person_addresses.c.person_id, addresses)
    .join(addresses, addresses.c.id == person_addresses.c.address_id)
    .where(person_addresses.c.person_id.in_(_IDS))
    .order_by(addresses.c.id)
)
_LATEST_DASH = (
    select(dash_assessments.c.level)
    .where(dash_assessments.c.incident_id == incidents.c.id)
    .order_by(dash_assessments.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
_LIVE_HISTORY = (
    select(
        incident_links.c.person_id,
        incidents.c.reference,
        incidents.c.received_at.label("at"),
        func.coalesce(incidents.c.closing_category, incidents.c.opening_category).label("category"),
        incidents.c.grade,
        _LATEST_DASH.label("dash"),
        incident_links.c.role,
    )
    .join(incidents, incidents.c.id == incident_links.c.incident_id)
    .where(incident_links.c.person_id.in_(_IDS), incidents.c.received_at >= bindparam("since"))
    .order_by(incidents.c.received_at.desc())
    .limit(bindparam("limit"))
)
_PAST_HISTORY = (
    select(
        past_links.c.person_id,
        past_incidents.c.reference,
        past_incidents.c.occurred_at.label("at"),
        past_incidents.c.category,
        past_incidents.c.grade,
        past_incidents.c.dash_risk.label("dash"),
        past_links.c.role,
    )
    .join(past_incidents, past_incidents.c.id == past_links.c.past_incident_id)
    .where(past_links.c.person_id.in_(_IDS), past_incidents.c.occurred_at >= bindparam("since"))
    .order_by(past_incidents.c.occurred_at.desc())
    .limit(bindparam("limit"))
)
_MARKERS = (
    select(markers)
    .where(markers.c.person_id.in_(_IDS) | markers.c.address_id.in_(bindparam("places", expanding=True)))
    .order_by(markers.c.id)
)


# A protected address: one with an active address-hiding marker on it, or on anyone who lives
# there (so a co-resident's record does not give away a refuge address). ``a`` is the address.
_PROTECTED = (
    "EXISTS (SELECT 1 FROM markers m WHERE m.kind IN :hiding"
    " AND (m.valid_from IS NULL OR m.valid_from <= :today)"
    " AND (m.valid_to IS NULL OR m.valid_to >= :today)"
    " AND (m.address_id = a.id OR m.person_id IN"
    " (SELECT r.person_id FROM person_addresses r WHERE r.address_id = a.id)))"
)


def _unprotected_place(kind: str, index: int, key: str, values: dict[str, Any]) -> str:
    """For an address key, the condition that the person has an address giving that key
    which is not protected: a protected address never brings anyone into a shortlist."""
    if kind == "p":
        values[f"v{index}"] = key[2:]
        same = f"a.postcode = :v{index}"
    else:  # a:street:number
        street, _, number = key[2:].rpartition(":")
        values[f"v{index}"], values[f"w{index}"] = street, number
        same = f"a.street = :v{index} AND a.number = :w{index}"
    return (
        " AND EXISTS (SELECT 1 FROM person_addresses pa JOIN addresses a ON a.id = pa.address_id"
        f" WHERE pa.person_id = search_keys.person_id AND {same} AND NOT {_PROTECTED})"
    )


def _name(forenames: str, surname: str) -> Name:
    """A stored name as matching reads it: folded words, the surname as one word."""
    return Name(tuple(name_words(forenames)), "".join(name_words(surname)))


class IntelRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- writing -------------------------------------------------------------------------

    def insert_ignore(self, table: Any, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows, leaving any that already exist (by primary or unique key) alone."""
        if not rows:
            return
        dialect = self._c.dialect.name
        statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        self._c.execute(statement.on_conflict_do_nothing(), list(rows))

    def upsert(self, table: Any, row: dict[str, Any]) -> int:
        """Insert a sourced record or update the one with its source and source id; its id."""
        existing = self._c.execute(
            select(table.c.id).where(table.c.source == row["source"], table.c.source_id == row["source_id"])
        ).scalar()
        if existing is None:
            return int(self._c.execute(insert(table).values(**row)).inserted_primary_key[0])
        self._c.execute(update(table).where(table.c.id == existing).values(**row))
        return int(existing)

    def record_search(self, row: dict[str, Any]) -> int:
        return int(self._c.execute(insert(searches).values(**row)).inserted_primary_key[0])

    def link(self, row: dict[str, Any]) -> bool:
        """Link a person to an incident in a role; False if that link was already made."""
        exists = self._c.execute(
            select(incident_links.c.id).where(
                incident_links.c.incident_id == row["incident_id"],
                incident_links.c.person_id == row["person_id"],
                incident_links.c.role == row["role"],
            )
        ).first()
        if exists:
            return False
        self._c.execute(insert(incident_links).values(**row))
        return True

    # -- searching -----------------------------------------------------------------------

    def shortlist(
        self,
        keys: Iterable[str],
        per_key: int,
        limit: int,
        hiding: Sequence[str] = (),
        today: date | None = None,
    ) -> tuple[list[int], int]:
        """The people sharing the most telling keys with a query, best first, and how many
        people shared any key. One statement, so only the shortlist comes back:
        1. each key's people are read, at most ``per_key`` of them, and at most a fifth of
           that for the broadest kinds (a surname's sound, a surname with a letter left
           out), whose people also come in by a narrower key when they are the one meant;
        2. sharing a key is worth its kind's weight (``KEY_WEIGHTS``), each kind once;
        3. people are ranked first by how many narrow kinds they share (``NARROW_KEYS``: a
           date of birth, a postcode, a phone, ...; a common name's key may have had more
           people than were read, a narrow key's seldom has), then by the weights added up.

        An address key (postcode, street and number) counts only through an address that is
        not protected (an active marker of a kind in ``hiding`` on it or on anyone living
        there): a withheld address plays no part in who is found."""
        ordered = sorted(keys)
        if not ordered:
            return [], 0
        parts = []
        values: dict[str, Any] = {
            "per_key": per_key,
            "broad": max(per_key // 5, 1),
            "limit": limit,
            "hiding": list(hiding),
            "today": today or date.min,
        }
        for index, key in enumerate(ordered):
            kind = key.split(":", 1)[0]
            cap = "broad" if kind in BROAD_KEYS else "per_key"
            place = _unprotected_place(kind, index, key, values) if kind in ("p", "a") else ""
            parts.append(
                f"SELECT person_id, '{kind}' AS kind, {KEY_WEIGHTS[kind]} AS w FROM "
                f"(SELECT person_id FROM search_keys WHERE key = :k{index}{place} LIMIT :{cap}) AS q{index}"
            )
            values[f"k{index}"] = key_id(key)
        narrow = ", ".join(f"'{kind}'" for kind in sorted(NARROW_KEYS))
        statement = text(
            "SELECT person_id, SUM(w) AS weight, COUNT(*) OVER () AS considered,"
            f" SUM(CASE WHEN kind IN ({narrow}) THEN 1 ELSE 0 END) AS narrow FROM ("
            "SELECT person_id, kind, MAX(w) AS w FROM (" + " UNION ALL ".join(parts) + ") AS hits "
            "GROUP BY person_id, kind) AS per_kind "
            "GROUP BY person_id ORDER BY narrow DESC, weight DESC, person_id LIMIT :limit"
        )
        if any(key[:2] in ("p:", "a:") for key in ordered):
            statement = statement.bindparams(
                bindparam("hiding", expanding=True), bindparam("today", type_=Date)
            )
        else:
            del values["hiding"], values["today"]
        rows = self._c.execute(statement, values).all()
        return [int(row[0]) for row in rows], int(rows[0][2]) if rows else 0

    def facts(self, person_ids: Sequence[int], withheld: frozenset[int] = frozenset()) -> list[PersonFacts]:
        """What matching needs to know about each of these people (in the order given),
        without the addresses ``withheld`` (protected ones play no part in matching)."""
        if not person_ids:
            return []
        ids = list(person_ids)
        names: dict[int, list[Name]] = defaultdict(list)
        born: dict[int, date | None] = {}
        for row in self._c.execute(_PEOPLE, {"ids": ids}):
            names[row.id].insert(0, _name(row.forenames, row.surname))
            born[row.id] = row.date_of_birth
        for row in self._c.execute(_ALIASES, {"ids": ids}):
            names[row.person_id].append(_name(row.forenames, row.surname))
        places: dict[int, list[Address]] = defaultdict(list)
        for row in self._c.execute(_ADDRESSES, {"ids": ids}):
            if row.id in withheld:
                continue
            places[row.person_id].append(Address(row.flat, row.number, row.street, row.town, row.postcode))
        numbers: dict[int, set[str]] = defaultdict(set)
        for row in self._c.execute(_PHONES, {"ids": ids}):
            numbers[row.person_id].add(row.number)
        cars: dict[int, set[str]] = defaultdict(set)
        for row in self._c.execute(_VEHICLES, {"ids": ids}):
            cars[row.person_id].add(row.registration)
        return [
            PersonFacts(
                pid,
                tuple(names[pid]),
                born[pid],
                tuple(places[pid]),
                frozenset(numbers[pid]),
                frozenset(cars[pid]),
            )
            for pid in ids
            if pid in born
        ]

    def _addresses_of(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in self._c.execute(_ADDRESSES, {"ids": ids}).mappings():
            found[row["person_id"]].append(dict(row))
        return found

    def people(self, person_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Display details of each person: name, date of birth, gender, aliases, places, phones."""
        ids = list(person_ids)
        found = {
            row["id"]: dict(row) | {"aliases": [], "addresses": [], "phones": [], "vehicles": []}
            for row in self._c.execute(_PEOPLE, {"ids": ids}).mappings()
        }
        for row in self._c.execute(_ALIASES, {"ids": ids}):
            found[row.person_id]["aliases"].append(f"{row.forenames} {row.surname}".strip())
        for pid, places in self._addresses_of(ids).items():
            found[pid]["addresses"] = places
        for row in self._c.execute(_PHONES, {"ids": ids}):
            found[row.person_id]["phones"].append(row.number)
        for row in self._c.execute(_VEHICLES, {"ids": ids}):
            found[row.person_id]["vehicles"].append(row.registration)
        return found

    def addresses(self, address_ids: Sequence[int]) -> list[dict[str, Any]]:
        query = select(addresses).where(addresses.c.id.in_(list(address_ids))).order_by(addresses.c.id)
        return [dict(row) for row in self._c.execute(query).mappings()]

    def protected_places(self, person_ids: Sequence[int], hiding: Sequence[str], today: date) -> set[int]:
        """The addresses of these people that are protected: an active marker of a kind in
        ``hiding`` on the address itself, or on anyone who lives there (the same rule as
        the shortlist's)."""
        ids = list(person_ids)
        mine = {row.id for row in self._c.execute(_ADDRESSES, {"ids": ids})}
        if not mine or not hiding:
            return set()
        residents = self._c.execute(
            select(person_addresses.c.person_id, person_addresses.c.address_id).where(
                person_addresses.c.address_id.in_(mine)
            )
        ).all()
        homes: dict[int, set[int]] = defaultdict(set)
        for person_id, address_id in residents:
            homes[person_id].add(address_id)
        rows = self._c.execute(
            select(markers).where(
                markers.c.kind.in_(list(hiding)),
                or_(markers.c.address_id.in_(mine), markers.c.person_id.in_(list(homes))),
            )
        ).mappings()
        protected: set[int] = set()
        for row in rows:
            if not is_active(row["valid_from"], row["valid_to"], today):
                continue
            if row["address_id"] in mine:
                protected.add(row["address_id"])
            if row["person_id"] in homes:
                protected |= homes[row["person_id"]]
        return protected

    def markers_of(self, person_ids: Sequence[int], address_ids: Sequence[int]) -> list[dict[str, Any]]:
        rows = self._c.execute(_MARKERS, {"ids": list(person_ids), "places": list(address_ids)})
        return [dict(row) for row in rows.mappings()]

    def markers_by_phone(self, number: str) -> list[dict[str, Any]]:
        """The markers on the people who have this number (at most 50 people read)."""
        owners = select(phones.c.person_id).where(phones.c.number == number).limit(50)
        query = (
            select(markers).where(markers.c.person_id.in_(owners.scalar_subquery())).order_by(markers.c.id)
        )
        return [dict(row) for row in self._c.execute(query).mappings()]

    def marker(self, marker_id: int) -> dict[str, Any] | None:
        row = self._c.execute(select(markers).where(markers.c.id == marker_id)).mappings().first()
        return dict(row) if row else None

    def postcode_centre(self, postcode: str, hiding: Sequence[str] = ()) -> tuple[float, float] | None:
        """The mean position of the recorded addresses with this postcode, if any have one,
        leaving out any address that has, or whose residents have, a marker of a kind in
        ``hiding`` at any time (a refuge alone in its postcode would otherwise be pinned)."""
        residents = (
            select(person_addresses.c.person_id)
            .where(person_addresses.c.address_id == addresses.c.id)
            .correlate(addresses)
        )
        protected = (
            select(markers.c.id)
            .where(markers.c.kind.in_(list(hiding)))
            .where(or_(markers.c.address_id == addresses.c.id, markers.c.person_id.in_(residents)))
            .correlate(addresses)
            .exists()
        )
        row = self._c.execute(
            select(func.avg(addresses.c.latitude), func.avg(addresses.c.longitude)).where(
                addresses.c.postcode == postcode, addresses.c.latitude.is_not(None), ~protected
            )
        ).first()
        if row is None or row[0] is None:
            return None
        return float(row[0]), float(row[1])

    def history(
        self, person_ids: Sequence[int], since: datetime, limit: int = 50
    ) -> dict[int, list[HistoryLine]]:
        """Each person's incidents since a time, live and imported, newest first; at most
        ``limit`` lines a person on average (the read is bounded however busy they are)."""
        ids = list(person_ids)
        lines: dict[int, list[HistoryLine]] = defaultdict(list)
        values = {"ids": ids, "since": since, "limit": limit * max(len(ids), 1)}
        for statement in (_LIVE_HISTORY, _PAST_HISTORY):
            for row in self._c.execute(statement, values):
                lines[row.person_id].append(
                    HistoryLine(row.reference, row.at, row.category, row.grade, row.dash, row.role)
                )
        return lines

    # -- the record of an incident's searches and links ----------------------------------

    def searches_of(self, incident_id: str) -> list[dict[str, Any]]:
        query = select(searches).where(searches.c.incident_id == incident_id).order_by(searches.c.id)
        return [dict(row) for row in self._c.execute(query).mappings()]

    def links_of(self, incident_id: str) -> list[dict[str, Any]]:
        query = (
            select(incident_links, people.c.forenames, people.c.surname, people.c.date_of_birth)
            .join(people, people.c.id == incident_links.c.person_id)
            .where(incident_links.c.incident_id == incident_id)
            .order_by(incident_links.c.id)
        )
        return [dict(row) for row in self._c.execute(query).mappings()]

    def search(self, search_id: int) -> dict[str, Any] | None:
        row = self._c.execute(select(searches).where(searches.c.id == search_id)).mappings().first()
        return dict(row) if row else None
