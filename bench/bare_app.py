"""The ceiling: the same framework and store doing the least a write endpoint can do.

One sync ``def`` FastAPI endpoint (run in the thread pool, like ``open_incident``) parses
the same JSON call body and inserts one row (id, text, timestamp) into one table, in one
write transaction on an engine from ``make_engine``: on SQLite the same WAL,
``synchronous=FULL`` and ``BEGIN IMMEDIATE``; on PostgreSQL the same pool and pre-ping.
No authentication, no validation beyond the model, no journal, no audit chain.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, Engine, MetaData, String, Table, Text, insert

from thriives.adapters.db.engine import WRITE
from thriives.adapters.db.tables import UtcDateTime

PATH = "/bench/bare-insert"
metadata = MetaData()
bare_rows = Table(
    "bench_bare_insert",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)


class BareBody(BaseModel):
    """Only the account text is kept; the other fields of the call body are ignored."""

    account: str = ""


class BareOut(BaseModel):
    id: str


def create_bare_app(engine: Engine) -> FastAPI:
    """An app with one endpoint, ``POST /bench/bare-insert``, answering 201 with the row id."""
    metadata.create_all(engine)
    app = FastAPI(title="thriives bench: bare insert")

    @app.post(PATH, status_code=201, response_model=BareOut)
    def bare_insert(body: BareBody) -> BareOut:
        row_id = str(uuid.uuid4())
        with engine.connect() as connection:
            connection.execution_options(**{WRITE: True})
            with connection.begin():
                connection.execute(
                    insert(bare_rows).values(id=row_id, text=body.account, created_at=datetime.now(UTC))
                )
        return BareOut(id=row_id)

    return app
