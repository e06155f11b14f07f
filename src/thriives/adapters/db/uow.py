"""The unit of work: one transaction, its repositories, and the journal (events and audit).

Use-cases run ``with uow_factory(write=True) as uow: ... uow.commit()``. Leaving the block
without ``commit()`` rolls everything back, so a failure half-way writes nothing.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from thriives.adapters.db.assessment_repository import AssessmentRepository
from thriives.adapters.db.backup_repository import BackupRepository
from thriives.adapters.db.dispatch_repository import DispatchRepository
from thriives.adapters.db.engine import WRITE
from thriives.adapters.db.follow_up_repository import FollowUpRepository
from thriives.adapters.db.intel_repository import IntelRepository
from thriives.adapters.db.journal import Journal
from thriives.adapters.db.record_repository import RecordRepository
from thriives.adapters.db.repositories import (
    IncidentRepository,
    ReferenceCounter,
    UserRepository,
)
from thriives.adapters.db.supervision_repository import SupervisionRepository
from thriives.adapters.db.throttle_repository import ThrottleRepository
from thriives.adapters.db.turns import Turns
from thriives.domain.audit_chain import AuditKeys


class SqlUnitOfWork:
    def __init__(self, engine: Engine, write: bool, write_lock: Turns, keys: AuditKeys) -> None:
        self._engine = engine
        self._keys = keys
        self._write = write
        self._write_lock = write_lock
        self._connection: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        if self._write:
            # Every write transaction takes the journal's head lock in the store anyway, so
            # writers in one process queue here, first come first served, instead of sleeping
            # in SQLite's busy loop or piling onto PostgreSQL's row lock.
            self._write_lock.acquire()
        try:
            connection = self._engine.connect()
            try:
                if self._write:
                    connection = connection.execution_options(**{WRITE: True})
                connection.begin()
            except BaseException:
                connection.close()
                raise
        except BaseException:
            if self._write:
                self._write_lock.release()
            raise
        self._connection = connection
        self.incidents = IncidentRepository(connection)
        self.references = ReferenceCounter(connection)
        self.users = UserRepository(connection)
        self.throttles = ThrottleRepository(connection)
        self.assessments = AssessmentRepository(connection)
        self.intel = IntelRepository(connection)
        self.dispatch = DispatchRepository(connection)
        self.backups = BackupRepository(connection)
        self.supervision = SupervisionRepository(connection)
        self.records = RecordRepository(connection)
        self.follow_ups = FollowUpRepository(connection)
        self.journal = Journal(connection, self._keys)
        if self._write and connection.dialect.name == "postgresql":
            # One lock order for every writer: the journal's head first, then rows. A write
            # transaction takes the head anyway at its first event or audit entry; taking it
            # at the start means no writer ever holds a row another needs while waiting for
            # the head (a deadlock between, say, the deadline worker and a dispatcher).
            # SQLite's BEGIN IMMEDIATE already gives its writers one order.
            self.journal.lock()
        return self

    @property
    def connection(self) -> Connection:
        assert self._connection is not None, "unit of work used outside its with block"
        return self._connection

    def commit(self) -> None:
        self.journal.flush()
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self.connection
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()
            self._connection = None
            if self._write:
                self._write_lock.release()


class UnitOfWorkFactory:
    """Units of work on one engine; ``keys`` seal the audit entries and events they write."""

    def __init__(self, engine: Engine, keys: AuditKeys) -> None:
        self.engine = engine
        self.keys = keys
        self._write_lock = Turns()

    def __call__(self, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write, self._write_lock, self.keys)
