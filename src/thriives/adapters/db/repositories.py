"""Repositories: the only code that knows table shapes. Each takes the unit of work's connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from thriives.adapters.db.tables import (
    api_tokens,
    idempotency_keys,
    incidents,
    reference_counters,
    sessions,
    users,
)
from thriives.domain.errors import NotFound


def _next_number(dialect: Any) -> Any:
    statement = dialect.insert(reference_counters).values(day=bindparam("day"), last_number=1)
    return statement.on_conflict_do_update(
        index_elements=[reference_counters.c.day],
        set_={"last_number": reference_counters.c.last_number + 1},
    ).returning(reference_counters.c.last_number)


# Statements are built once: building one per call costs more CPU than running it.
NEXT_NUMBER = {"postgresql": _next_number(postgresql), "sqlite": _next_number(sqlite)}
INSERT_INCIDENT = insert(incidents)
INCIDENT_BY_REFERENCE = select(incidents).where(incidents.c.reference == bindparam("reference"))
INCIDENT_BY_REFERENCE_LOCKED = INCIDENT_BY_REFERENCE.with_for_update()
INSERT_IDEMPOTENCY_KEY = insert(idempotency_keys)
IDEMPOTENT_REQUEST = select(idempotency_keys).where(
    idempotency_keys.c.user_id == bindparam("user_id"), idempotency_keys.c.key == bindparam("key")
)
TOKEN = (
    select(
        api_tokens.c.user_id,
        users.c.username,
        users.c.role,
        users.c.display_name,
        users.c.active,
        users.c.is_demo,
    )
    .join(users, users.c.id == api_tokens.c.user_id)
    .where(
        api_tokens.c.id == bindparam("token_id"),
        api_tokens.c.revoked_at.is_(None),
        or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > bindparam("now")),
    )
)


class ReferenceCounter:
    """Per-day incident numbers, one atomic upsert each: unique under concurrent writers."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def next(self, day: str) -> int:
        statement = NEXT_NUMBER[self._connection.dialect.name]
        return int(self._connection.execute(statement, {"day": day}).scalar_one())


# What the live queue shows of an incident: no caller details, only where it is (who was
# shown which incident is recorded by services/queue_sightings.py).
LIVE_COLUMNS = (
    incidents.c.id,
    incidents.c.reference,
    incidents.c.status,
    incidents.c.channel,
    incidents.c.received_at,
    incidents.c.opening_category,
    incidents.c.qualifiers,
    incidents.c.location_text,
    incidents.c.postcode,
    incidents.c.grade,
)


class IncidentRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, row: dict[str, Any]) -> None:
        self._connection.execute(INSERT_INCIDENT, row)

    def get(self, reference: str, for_update: bool = False) -> dict[str, Any] | None:
        query = INCIDENT_BY_REFERENCE_LOCKED if for_update else INCIDENT_BY_REFERENCE
        row = self._connection.execute(query, {"reference": reference}).first()
        return dict(row._mapping) if row else None

    def require(self, reference: str, for_update: bool = False) -> dict[str, Any]:
        """The incident with this reference, or NotFound naming it."""
        incident = self.get(reference, for_update=for_update)
        if incident is None:
            raise NotFound(f"no incident {reference[:40]!r}", "reference")
        return incident

    def get_by_id(self, incident_id: str) -> dict[str, Any] | None:
        row = self._connection.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        return dict(row._mapping) if row else None

    def update(self, incident_id: str, version: int, changes: dict[str, Any]) -> bool:
        """Apply changes if the row is still at ``version``; False when someone got there first."""
        result = self._connection.execute(
            update(incidents)
            .where(incidents.c.id == incident_id, incidents.c.version == version)
            .values(**changes, version=version + 1)
        )
        return result.rowcount == 1

    def accounts(self, incident_ids: list[str]) -> dict[str, str]:
        """The caller's words of these incidents, read only to find their risk cues."""
        if not incident_ids:
            return {}
        query = select(incidents.c.id, incidents.c.account).where(incidents.c.id.in_(incident_ids))
        return {row.id: row.account or "" for row in self._connection.execute(query)}

    def live_page(self, statuses: list[str], limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of live incidents, oldest first (then by reference, so pages never
        overlap), and how many there are in all."""
        total = int(
            self._connection.execute(
                select(func.count()).select_from(incidents).where(incidents.c.status.in_(statuses))
            ).scalar_one()
        )
        query = (
            select(*LIVE_COLUMNS)
            .where(incidents.c.status.in_(statuses))
            .order_by(incidents.c.received_at, incidents.c.reference)
            .limit(limit)
            .offset(offset)
        )
        return [dict(r._mapping) for r in self._connection.execute(query)], total

    def count(self) -> int:
        return int(self._connection.execute(select(func.count()).select_from(incidents)).scalar_one())

    def idempotent_request(self, user_id: int, key: str) -> dict[str, Any] | None:
        row = self._connection.execute(IDEMPOTENT_REQUEST, {"user_id": user_id, "key": key}).first()
        return dict(row._mapping) if row else None

    def remember_request(
        self, user_id: int, key: str, request_hash: str, incident_id: str, at: datetime
    ) -> None:
        self._connection.execute(
            INSERT_IDEMPOTENCY_KEY,
            {
                "user_id": user_id,
                "key": key,
                "request_hash": request_hash,
                "incident_id": incident_id,
                "created_at": at,
            },
        )


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, row: dict[str, Any]) -> int:
        return int(self._connection.execute(insert(users).values(**row).returning(users.c.id)).scalar_one())

    def by_username(self, username: str, for_update: bool = False) -> dict[str, Any] | None:
        query = select(users).where(users.c.username == username)
        if for_update:
            query = query.with_for_update()
        row = self._connection.execute(query).first()
        return dict(row._mapping) if row else None

    def by_id(self, user_id: int) -> dict[str, Any] | None:
        row = self._connection.execute(select(users).where(users.c.id == user_id)).first()
        return dict(row._mapping) if row else None

    def all(self) -> list[dict[str, Any]]:
        rows = self._connection.execute(select(users).order_by(users.c.username)).all()
        return [dict(row._mapping) for row in rows]

    def add_session(self, row: dict[str, Any]) -> None:
        self._connection.execute(insert(sessions).values(**row))

    def session(self, session_id: str) -> dict[str, Any] | None:
        row = self._connection.execute(
            select(
                sessions,
                users.c.username,
                users.c.role,
                users.c.display_name,
                users.c.active,
                users.c.is_demo,
            )
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
        ).first()
        return dict(row._mapping) if row else None

    def touch_session(self, session_id: str, at: datetime) -> None:
        self._connection.execute(update(sessions).where(sessions.c.id == session_id).values(last_seen_at=at))

    def end_session(self, session_id: str, at: datetime) -> None:
        self._connection.execute(update(sessions).where(sessions.c.id == session_id).values(ended_at=at))

    def add_token(self, row: dict[str, Any]) -> None:
        self._connection.execute(insert(api_tokens).values(**row))

    def token(self, token_id: str, now: datetime) -> dict[str, Any] | None:
        """A live token's user: not revoked and not expired at ``now``."""
        row = self._connection.execute(TOKEN, {"token_id": token_id, "now": now}).first()
        return dict(row._mapping) if row else None

    def change(self, user_id: int, **values: Any) -> None:
        """Set an account's fields (active, role, team, password_hash, must_change_password)."""
        self._connection.execute(update(users).where(users.c.id == user_id).values(**values))

    def end_sessions(self, user_id: int, at: datetime) -> int:
        """End every live session of a user; how many were ended."""
        ended = self._connection.execute(
            update(sessions)
            .where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
            .values(ended_at=at)
        )
        return int(ended.rowcount)

    def live_sessions(self, user_ids: list[int], since: datetime) -> dict[int, int]:
        """How many sessions each user has open and seen since ``since`` (not yet idle)."""
        rows = self._connection.execute(
            select(sessions.c.user_id, func.count())
            .where(
                sessions.c.user_id.in_(user_ids),
                sessions.c.ended_at.is_(None),
                sessions.c.last_seen_at > since,
            )
            .group_by(sessions.c.user_id)
        ).all()
        return {int(user_id): int(count) for user_id, count in rows}

    def tokens_of(self, user_id: int) -> list[dict[str, Any]]:
        rows = self._connection.execute(
            select(api_tokens).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.created_at)
        ).all()
        return [dict(row._mapping) for row in rows]

    def revoke_token(self, token_id: str, at: datetime) -> bool:
        revoked = self._connection.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(revoked.rowcount)
