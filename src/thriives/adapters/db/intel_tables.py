"""The intelligence tables: people, addresses, phones, vehicles, markers, links and searches.

Every record brought in by ``thriives import`` keeps its ``source`` and ``source_id`` (the
legacy system's key), unique together, so running an import again updates instead of
duplicating. ``search_keys`` holds each person's blocking keys (see ``domain.matching``) as
64-bit numbers; a search reads candidates from it by key and never scans ``people``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from thriives.adapters.db.tables import BigId, UtcDateTime, metadata

people = Table(
    "people",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("source_id", String(80), nullable=False),
    Column("forenames", String(200), nullable=False),
    Column("surname", String(100), nullable=False),
    Column("date_of_birth", Date, nullable=True),
    Column("gender", String(20), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "source_id", name="uq_people_source"),
)

aliases = Table(
    "aliases",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", BigInteger, ForeignKey("people.id"), nullable=False, index=True),
    Column("forenames", String(200), nullable=False),
    Column("surname", String(100), nullable=False),
    UniqueConstraint("person_id", "forenames", "surname", name="uq_aliases_name"),
)

addresses = Table(
    "addresses",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("source_id", String(80), nullable=False),
    Column("text", String(300), nullable=False),  # as the source wrote it, for display
    Column("flat", String(20), nullable=True),
    Column("number", String(20), nullable=True),
    Column("street", String(200), nullable=False),
    Column("town", String(100), nullable=False),
    Column("postcode", String(8), nullable=True, index=True),
    Column("uprn", String(12), nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    UniqueConstraint("source", "source_id", name="uq_addresses_source"),
)

person_addresses = Table(
    "person_addresses",
    metadata,
    Column("person_id", BigInteger, ForeignKey("people.id"), nullable=False),
    Column("address_id", BigInteger, ForeignKey("addresses.id"), nullable=False, index=True),
    PrimaryKeyConstraint("person_id", "address_id"),
)

phones = Table(
    "phones",
    metadata,
    Column("person_id", BigInteger, ForeignKey("people.id"), nullable=False),
    Column("number", String(20), nullable=False, index=True),
    PrimaryKeyConstraint("person_id", "number"),
)

vehicles = Table(
    "vehicles",
    metadata,
    Column("person_id", BigInteger, ForeignKey("people.id"), nullable=False),
    Column("registration", String(8), nullable=False, index=True),
    Column("description", String(200), nullable=True),
    PrimaryKeyConstraint("person_id", "registration"),
)

markers = Table(
    "markers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("source_id", String(80), nullable=False),
    Column("person_id", BigInteger, ForeignKey("people.id"), nullable=True, index=True),
    Column("address_id", BigInteger, ForeignKey("addresses.id"), nullable=True, index=True),
    Column("kind", String(40), nullable=False),
    Column("origin", String(200), nullable=False),  # where the marker came from (system, unit)
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
    Column("detail", Text, nullable=True),
    UniqueConstraint("source", "source_id", name="uq_markers_source"),
)

past_incidents = Table(
    "past_incidents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("source_id", String(80), nullable=False),
    Column("reference", String(40), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("category", String(40), nullable=True),
    Column("grade", String(20), nullable=True),
    Column("dash_risk", String(10), nullable=True),
    UniqueConstraint("source", "source_id", name="uq_past_incidents_source"),
)

searches = Table(
    "searches",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=True, index=True),
    Column("actor", String(40), nullable=False),
    Column("searched_at", UtcDateTime, nullable=False),
    Column("terms", JSON, nullable=False),  # what was asked, as normalised
    Column("result_count", Integer, nullable=False),
    Column("results", JSON, nullable=False),  # person id, score and band of each shown
    Column("justification", String(2000), nullable=False),
)

incident_links = Table(
    "incident_links",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", String(36), ForeignKey("incidents.id"), nullable=False),
    Column("person_id", BigInteger, ForeignKey("people.id"), nullable=False, index=True),
    Column("role", String(10), nullable=False),
    Column("search_id", BigInteger, ForeignKey("searches.id"), nullable=True),
    Column("linked_by", String(40), nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
    UniqueConstraint("incident_id", "person_id", "role", name="uq_incident_links_link"),
)

past_links = Table(
    "past_links",
    metadata,
    Column("person_id", BigInteger, ForeignKey("people.id"), nullable=False),
    Column("past_incident_id", BigInteger, ForeignKey("past_incidents.id"), nullable=False, index=True),
    Column("role", String(10), nullable=False),
    PrimaryKeyConstraint("person_id", "past_incident_id", "role"),
)

search_keys = Table(
    "search_keys",
    metadata,
    Column("key", BigInteger, nullable=False),
    Column("person_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("key", "person_id"),
    sqlite_with_rowid=False,
)

__all__ = [
    "addresses",
    "aliases",
    "incident_links",
    "markers",
    "past_incidents",
    "past_links",
    "people",
    "person_addresses",
    "phones",
    "search_keys",
    "searches",
    "vehicles",
]
