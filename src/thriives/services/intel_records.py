"""Writing intelligence records inside a caller's unit of work (the import and the demo).

Each function writes one record and leaves the commit to the caller, so a whole file can
be one transaction. Records are keyed by ``source`` and ``source_id``: saving the same one
again updates it. After people, their addresses, phones or vehicles change, ``rekey``
adds their search keys. Keys are only ever added: a key left from an old spelling can
bring a person into a shortlist, but scoring reads the current record, so it cannot make
a wrong match.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from thriives.adapters.db import intel_import_writer
from thriives.adapters.db.intel_tables import (
    addresses,
    aliases,
    markers,
    past_incidents,
    past_links,
    people,
    person_addresses,
    phones,
    vehicles,
)
from thriives.adapters.db.uow import SqlUnitOfWork
from thriives.domain.addresses import parse_address


def save_person(
    uow: SqlUnitOfWork,
    source: str,
    source_id: str,
    forenames: str,
    surname: str,
    date_of_birth: date | None,
    gender: str | None,
    now: datetime,
    alias_names: Iterable[tuple[str, str]] = (),
) -> int:
    """Save a person as written (matching folds names as it reads them); aliases are
    (forenames, surname) pairs."""
    person_id = uow.intel.upsert(
        people,
        {
            "source": source,
            "source_id": source_id,
            "forenames": " ".join(forenames.split()),
            "surname": " ".join(surname.split()),
            "date_of_birth": date_of_birth,
            "gender": gender,
            "created_at": now,
        },
    )
    uow.intel.insert_ignore(
        aliases,
        [
            {"person_id": person_id, "forenames": " ".join(f.split()), "surname": " ".join(s.split())}
            for f, s in alias_names
        ],
    )
    return person_id


def save_address(
    uow: SqlUnitOfWork,
    source: str,
    source_id: str,
    text: str,
    uprn: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> int:
    parts = parse_address(text)
    return uow.intel.upsert(
        addresses,
        {
            "source": source,
            "source_id": source_id,
            "text": text.strip(),
            "flat": parts.flat,
            "number": parts.number,
            "street": parts.street,
            "town": parts.town,
            "postcode": parts.postcode,
            "uprn": uprn,
            "latitude": latitude,
            "longitude": longitude,
        },
    )


def link_address(uow: SqlUnitOfWork, person_id: int, address_id: int) -> None:
    uow.intel.insert_ignore(person_addresses, [{"person_id": person_id, "address_id": address_id}])


def save_phone(uow: SqlUnitOfWork, person_id: int, number: str) -> None:
    uow.intel.insert_ignore(phones, [{"person_id": person_id, "number": number}])


def save_vehicle(
    uow: SqlUnitOfWork, person_id: int, registration: str, description: str | None = None
) -> None:
    row = {"person_id": person_id, "registration": registration, "description": description}
    uow.intel.insert_ignore(vehicles, [row])


def save_marker(uow: SqlUnitOfWork, row: dict[str, Any]) -> int:
    """A marker on a person or an address: source, source_id, person_id or address_id, kind,
    origin, valid_from, valid_to, detail."""
    return uow.intel.upsert(markers, row)


def save_past_incident(uow: SqlUnitOfWork, row: dict[str, Any]) -> int:
    """An incident from the legacy system: source, source_id, reference, occurred_at,
    category, grade, dash_risk."""
    return uow.intel.upsert(past_incidents, row)


def link_past(uow: SqlUnitOfWork, person_id: int, past_incident_id: int, role: str) -> None:
    row = {"person_id": person_id, "past_incident_id": past_incident_id, "role": role}
    uow.intel.insert_ignore(past_links, [row])


def rekey(uow: SqlUnitOfWork, person_ids: Iterable[int]) -> None:
    """Add the search keys of these people as their records now stand (in batches, as an
    import does)."""
    intel_import_writer.rekey(uow, set(person_ids), lambda stage, done, total: None)
