"""Writing an import's records, a batch at a time, inside the import's one transaction.

Sourced records (people, addresses, markers, past incidents) are upserted by source and
legacy id, a batch per statement; links are inserted only if absent; search keys are added
in large sorted batches. See ``services.intel_import`` for the procedure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Table, bindparam, insert, select, update

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
from thriives.domain.errors import DomainError
from thriives.domain.intel_import import (
    AddressRecord,
    ImportKind,
    IncidentPerson,
    MarkerRecord,
    PastIncidentRecord,
    PersonAddress,
    PersonRecord,
    PhoneRecord,
    Record,
    VehicleRecord,
    references,
)
from thriives.domain.matching import key_id, person_keys

BATCH = 500  # people whose keys are computed at a time
KEY_BATCH = 50_000  # search keys inserted a statement at a time
Progress = Callable[[str, int, int | None], None]  # stage, rows done, rows in all if known
Sourced = PersonRecord | AddressRecord | MarkerRecord | PastIncidentRecord


class Tally(Protocol):
    """What a file's report counts as records are written."""

    inserted: int
    updated: int
    unchanged: int


def plan_each_time(connection: Connection) -> None:
    """PostgreSQL: plan each statement for the tables as they are now. Statements run again
    and again are prepared, and a plan made while the tables were small (early in a first
    import) would read them whole ever after, however big they grew."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


_TABLES: dict[ImportKind, Table] = {
    ImportKind.PEOPLE: people,
    ImportKind.ADDRESSES: addresses,
    ImportKind.MARKERS: markers,
    ImportKind.INCIDENTS: past_incidents,
}
NOUNS = {ImportKind.PEOPLE: "person", ImportKind.ADDRESSES: "address", ImportKind.INCIDENTS: "incident"}
# Link tables: the columns that make a link, all beginning with person_id.
LINKS: dict[ImportKind, tuple[Table, tuple[str, ...]]] = {
    ImportKind.PERSON_ADDRESSES: (person_addresses, ("person_id", "address_id")),
    ImportKind.PHONES: (phones, ("person_id", "number")),
    ImportKind.VEHICLES: (vehicles, ("person_id", "registration")),
    ImportKind.INCIDENT_PEOPLE: (past_links, ("person_id", "past_incident_id", "role")),
}
_KEYED = (ImportKind.PERSON_ADDRESSES, ImportKind.PHONES, ImportKind.VEHICLES)  # links that change keys
# Search keys go in as plain parameters, many at a time: one statement with two arrays on
# PostgreSQL (a row at a time costs a round trip each), executemany on SQLite.
_ADD_KEYS = {
    "sqlite": "INSERT OR IGNORE INTO search_keys (key, person_id) VALUES (?, ?)",
    "postgresql": "INSERT INTO search_keys (key, person_id) "
    "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING",
}
Resolved = dict[tuple[ImportKind, str], int]  # (kind, legacy id) -> id in the store


def resolve(connection: Connection, source: str, batch: Iterable[Record]) -> Resolved:
    """The store ids of the people, addresses and incidents these records name."""
    wanted: dict[ImportKind, set[str]] = defaultdict(set)
    for record in batch:
        for _, kind, legacy in references(record):
            wanted[kind].add(legacy)
    found: Resolved = {}
    for kind, legacy_ids in wanted.items():
        table = _TABLES[kind]
        query = select(table.c.source_id, table.c.id).where(
            table.c.source == source, table.c.source_id.in_(sorted(legacy_ids))
        )
        found.update({(kind, row.source_id): int(row.id) for row in connection.execute(query)})
    return found


def _id(ids: Resolved, kind: ImportKind, legacy: str) -> int:
    try:
        return ids[(kind, legacy)]
    except KeyError:
        raise DomainError(f"no {NOUNS[kind]} {legacy!r}", f"{NOUNS[kind]}_id") from None


def write_sourced(
    uow: SqlUnitOfWork,
    kind: ImportKind,
    source: str,
    batch: list[Record],
    ids: Resolved,
    now: datetime,
    report: Tally,
    touched: set[int],
) -> None:
    """Upsert a batch by source and legacy id in two statements (inserts, updates), leaving
    alone the records that would not change. A person keeps the ``created_at`` of their
    first import."""
    table, connection = _TABLES[kind], uow.connection
    legacy = [_legacy(r) for r in batch]
    query = select(table).where(table.c.source == source, table.c.source_id.in_(legacy))
    stored = {row["source_id"]: row for row in connection.execute(query).mappings()}
    named = _aliases_of(connection, [row["id"] for row in stored.values()]) if table is people else {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    written: list[Record] = []
    for record in batch:
        values = _values(record, ids)
        old = stored.get(_legacy(record))
        if old is None:
            inserts.append({"source": source, "source_id": _legacy(record)} | _row(record, values, now))
        elif _same(old, values, record, named):
            report.unchanged += 1
            continue
        else:
            updates.append({"record_id": old["id"]} | _row(record, values, None))
        written.append(record)
    if inserts:
        connection.execute(insert(table), inserts)
    if updates:
        connection.execute(update(table).where(table.c.id == bindparam("record_id")), updates)
    report.inserted += len(inserts)
    report.updated += len(updates)
    if table is people and written:
        _add_aliases(uow, source, written, touched)
    elif table is addresses and updates:
        moved = [row["record_id"] for row in updates]
        query = select(person_addresses.c.person_id).where(person_addresses.c.address_id.in_(moved))
        touched.update(int(pid) for pid in connection.execute(query).scalars())


def _add_aliases(uow: SqlUnitOfWork, source: str, written: list[Record], touched: set[int]) -> None:
    """Add the aliases of the people just written, and note them for new search keys."""
    query = select(people.c.source_id, people.c.id).where(
        people.c.source == source, people.c.source_id.in_([_legacy(r) for r in written])
    )
    person_ids = {row.source_id: int(row.id) for row in uow.connection.execute(query)}
    rows = [
        {"person_id": person_ids[r.id], "forenames": forenames, "surname": surname}
        for r in written
        if isinstance(r, PersonRecord)
        for forenames, surname in r.aliases
    ]
    uow.intel.insert_ignore(aliases, rows)
    touched.update(person_ids.values())


def _same(old: Any, values: dict[str, Any], record: Record, named: dict[int, set[tuple[str, str]]]) -> bool:
    """Whether writing the record would change nothing (aliases are only ever added)."""
    if any(old[k] != v for k, v in values.items()):
        return False
    return not isinstance(record, PersonRecord) or set(record.aliases) <= named.get(old["id"], set())


def _legacy(record: Record) -> str:
    assert isinstance(record, Sourced)
    return record.id


def _aliases_of(connection: Connection, person_ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    found: dict[int, set[tuple[str, str]]] = defaultdict(set)
    if person_ids:
        query = select(aliases).where(aliases.c.person_id.in_(person_ids))
        for row in connection.execute(query):
            found[row.person_id].add((row.forenames, row.surname))
    return found


def _values(record: Record, ids: Resolved) -> dict[str, Any]:
    """The columns that say whether a stored record differs, as the store keeps them (the
    records' fields are named for their columns)."""
    values = {k: v for k, v in vars(record).items() if k not in ("id", "aliases")}
    if isinstance(record, MarkerRecord):
        values["person_id"] = _id(ids, ImportKind.PEOPLE, record.person_id) if record.person_id else None
        values["address_id"] = (
            _id(ids, ImportKind.ADDRESSES, record.address_id) if record.address_id else None
        )
    return values


def _row(record: Record, values: dict[str, Any], created_at: datetime | None) -> dict[str, Any]:
    """Every column written: an address's parts as ``intel_records.save_address`` splits
    them; a new person's ``created_at``."""
    if isinstance(record, AddressRecord):
        parts = parse_address(record.text)
        return values | {
            "flat": parts.flat,
            "number": parts.number,
            "street": parts.street,
            "town": parts.town,
            "postcode": parts.postcode,
        }
    if isinstance(record, PersonRecord) and created_at is not None:
        return values | {"created_at": created_at}
    return values


def write_links(
    uow: SqlUnitOfWork,
    kind: ImportKind,
    batch: list[Record],
    ids: Resolved,
    report: Tally,
    touched: set[int],
) -> None:
    """Insert the links not already there, in one statement (a link has nothing to update)."""
    table, columns = LINKS[kind]
    keys = [_link(record, ids) for record in batch]
    query = select(*(table.c[c] for c in columns)).where(table.c.person_id.in_({k[0] for k in keys}))
    present = {tuple(row) for row in uow.connection.execute(query)}
    rows = []
    for record, key in zip(batch, keys, strict=True):
        if key in present:
            report.unchanged += 1
            continue
        present.add(key)
        description = {"description": record.description} if isinstance(record, VehicleRecord) else {}
        rows.append(dict(zip(columns, key, strict=True)) | description)
        if kind in _KEYED:
            touched.add(key[0])
    uow.intel.insert_ignore(table, rows)
    report.inserted += len(rows)


def _link(record: Record, ids: Resolved) -> tuple[Any, ...]:
    """The columns that make a link, as in ``LINKS``."""
    match record:
        case PersonAddress():
            person = _id(ids, ImportKind.PEOPLE, record.person_id)
            return (person, _id(ids, ImportKind.ADDRESSES, record.address_id))
        case PhoneRecord():
            return (_id(ids, ImportKind.PEOPLE, record.person_id), record.number)
        case VehicleRecord():
            return (_id(ids, ImportKind.PEOPLE, record.person_id), record.registration)
        case IncidentPerson():
            incident = _id(ids, ImportKind.INCIDENTS, record.incident_id)
            return (_id(ids, ImportKind.PEOPLE, record.person_id), incident, record.role.value)
    raise TypeError(f"{type(record).__name__} is not a link")


def rekey(uow: SqlUnitOfWork, person_ids: set[int], progress: Progress) -> None:
    """Add the search keys of these people: keys are computed a batch of people at a
    time and inserted in big sorted batches (they are random 64-bit numbers, and in key
    order they touch far fewer index pages), as plain parameters, not one person at a time."""
    ids = sorted(person_ids)
    rows: list[tuple[int, int]] = []
    for start in range(0, len(ids), BATCH):
        for facts in uow.intel.facts(ids[start : start + BATCH]):
            rows.extend((key_id(k), facts.person_id) for k in person_keys(facts))
        if rows and (len(rows) >= KEY_BATCH or start + BATCH >= len(ids)):
            rows.sort()
            _add_keys(uow.connection, rows)
            rows = []
            progress("search keys", min(start + BATCH, len(ids)), len(ids))


def _add_keys(connection: Connection, rows: list[tuple[int, int]]) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        keys, owners = zip(*rows, strict=True)
        connection.exec_driver_sql(_ADD_KEYS[dialect], (list(keys), list(owners)))
    else:
        connection.exec_driver_sql(_ADD_KEYS[dialect], rows)  # type: ignore[arg-type]
