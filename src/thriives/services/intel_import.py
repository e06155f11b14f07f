"""Importing a legacy system's records into the intelligence tables, a file at a time.

A file is imported in two passes, all or nothing:

1. Check: read every row (a CSV file is streamed), turn it into a record
   (``domain.intel_import``), and look up, a batch at a time, every person, address or
   incident it names among the records of the same source. Note each bad row's line (or
   JSON item) and field. A file with any bad row writes nothing.
2. Write: read the file again and write every record in ONE transaction, a batch at a
   time. Records are upserted by source and legacy id and links inserted only if absent,
   so importing a file again updates in place and never duplicates; a record that would
   not change is left alone. Add the search keys of every person whose names, addresses,
   phones or vehicles were written, audit the file as one collection of personal data,
   commit. A failure part-way, or a file changed since it was checked, rolls it all back.

Several files go in the order of ``ImportKind`` (people and addresses before what links
them), each its own transaction; the first refused file stops the run, so running it
again once that file is fixed carries on where it stopped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from thriives.adapters.db.intel_import_writer import (
    LINKS,
    NOUNS,
    plan_each_time,
    rekey,
    resolve,
    write_links,
    write_sourced,
)
from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.audit_chain import Operation
from thriives.domain.errors import DomainError
from thriives.domain.intel_import import (
    AddressRecord,
    ImportKind,
    MarkerRecord,
    PastIncidentRecord,
    PersonRecord,
    Record,
    RowContext,
    check_row,
    check_source,
    references,
)
from thriives.domain.intel_policy import IntelPolicy
from thriives.services import intel_import_files as files
from thriives.services.intel_import_files import Raw, Unreadable

BATCH = 500  # records written (and references looked up) a statement at a time
KEPT = 1000  # problems a report keeps; all are counted
TICK = 1000  # rows between progress reports
KEY_BATCH = 50_000  # search keys inserted a statement at a time

Progress = Callable[[str, int, int | None], None]  # stage, rows done, rows in all if known
Sourced = PersonRecord | AddressRecord | MarkerRecord | PastIncidentRecord


@dataclass(frozen=True)
class RowProblem:
    line: int  # CSV: the file's line (the header is line 1); JSON: the item (from 1); 0: the file
    field: str | None
    message: str
    unit: str = "line"

    def __str__(self) -> str:
        where = f"{self.unit} {self.line}" if self.line else "file"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class FileReport:
    path: Path
    kind: ImportKind
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)  # the first KEPT
    problem_count: int = 0
    written: bool = False

    @property
    def refused(self) -> bool:
        return self.problem_count > 0

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }

    def add(self, problem: RowProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < KEPT:
            self.problems.append(problem)


@dataclass(frozen=True)
class ImportRun:
    reports: list[FileReport]  # in the order imported
    skipped: list[Path]  # not reached because an earlier file was refused


class IntelImport:
    def __init__(self, uow: UnitOfWorkFactory, policy: IntelPolicy, zone: str) -> None:
        self._uow = uow
        self._codes = frozenset(policy.markers)
        self._zone = ZoneInfo(zone)

    def import_files(
        self,
        files: Sequence[tuple[Path, ImportKind]],
        source: str,
        actor: Actor,
        now: datetime,
        progress: Callable[[Path, ImportKind], Progress | None] | None = None,
        dry_run: bool = False,
    ) -> ImportRun:
        """Import files in dependency order, stopping at the first refused (a dry run checks
        them all, counting the ids of earlier files as present)."""
        ordered = sorted(files, key=lambda f: list(ImportKind).index(f[1]))
        pending: dict[ImportKind, set[str]] | None = defaultdict(set) if dry_run else None
        reports: list[FileReport] = []
        for path, kind in ordered:
            tell = progress(path, kind) if progress else None
            report = self.import_file(path, kind, source, actor, now, tell, dry_run, pending)
            reports.append(report)
            if report.refused and not dry_run:
                break
        return ImportRun(reports, [path for path, _ in ordered[len(reports) :]])

    def import_file(
        self,
        path: Path,
        kind: ImportKind,
        source: str,
        actor: Actor,
        now: datetime,
        progress: Progress | None = None,
        dry_run: bool = False,
        pending: dict[ImportKind, set[str]] | None = None,
    ) -> FileReport:
        """Check a file, then (unless a dry run, or refused) write it all in one transaction."""
        require(actor.role, Permission.IMPORT_INTEL)
        check_source(source)
        context = RowContext(now, self._zone, self._codes)
        report = FileReport(path, kind)
        digest = files.digest(path)
        self._check(path, kind, source, context, report, pending, progress or _quiet)
        if report.refused or dry_run:
            return report
        try:
            self._write(path, kind, source, actor, context, report, digest, progress or _quiet)
        except (DomainError, Unreadable):
            report.inserted = report.updated = report.unchanged = 0
            message = "changed while it was imported; nothing was written: run the import again"
            report.add(RowProblem(0, None, message))
        return report

    def _check(
        self,
        path: Path,
        kind: ImportKind,
        source: str,
        context: RowContext,
        report: FileReport,
        pending: dict[ImportKind, set[str]] | None,
        progress: Progress,
    ) -> None:
        unit = files.unit(path)
        first_of: dict[str, int] = {}  # legacy id -> the row that gave it first
        batch: list[tuple[int, Record]] = []
        try:
            for number, raw in files.rows(path, kind):
                report.rows += 1
                try:
                    record = _record(kind, raw, context)
                    if isinstance(record, Sourced):
                        first = first_of.setdefault(record.id, number)
                        if first != number:
                            raise DomainError(f"is the id of {unit} {first} too", "id")
                        if pending is not None:
                            pending[kind].add(record.id)
                except DomainError as error:
                    report.add(RowProblem(number, error.field, error.message, unit))
                    continue
                batch.append((number, record))
                if len(batch) >= BATCH:
                    self._check_references(batch, source, report, pending, unit)
                    batch = []
                if report.rows % TICK == 0:
                    progress("checking", report.rows, None)
        except Unreadable as bad:
            report.add(RowProblem(bad.line, bad.error.field, bad.error.message, unit))
        self._check_references(batch, source, report, pending, unit)
        progress("checking", report.rows, report.rows)

    def _check_references(
        self,
        batch: list[tuple[int, Record]],
        source: str,
        report: FileReport,
        pending: dict[ImportKind, set[str]] | None,
        unit: str,
    ) -> None:
        if not batch:
            return
        with self._uow() as uow:
            plan_each_time(uow.connection)
            found = resolve(uow.connection, source, [record for _, record in batch])
        for number, record in batch:
            for name, kind, legacy in references(record):
                if (kind, legacy) not in found and legacy not in (pending or {}).get(kind, ()):
                    message = f"no {NOUNS[kind]} {legacy!r} has been imported from {source}"
                    report.add(RowProblem(number, name, message, unit))
                    break

    def _write(
        self,
        path: Path,
        kind: ImportKind,
        source: str,
        actor: Actor,
        context: RowContext,
        report: FileReport,
        digest: str,
        progress: Progress,
    ) -> None:
        touched: set[int] = set()  # people whose search keys may have changed
        done = 0
        with self._uow(write=True) as uow:
            plan_each_time(uow.connection)
            batch: list[Record] = []
            for _, raw in files.rows(path, kind):
                batch.append(_record(kind, raw, context))
                done += 1
                if len(batch) >= BATCH or done == report.rows:
                    ids = resolve(uow.connection, source, batch)
                    if kind in LINKS:
                        write_links(uow, kind, batch, ids, report, touched)
                    else:
                        write_sourced(uow, kind, source, batch, ids, context.now, report, touched)
                    batch = []
                if done % TICK == 0:
                    progress("writing", done, report.rows)
            progress("writing", done, report.rows)
            if done != report.rows or files.digest(path) != digest:
                raise DomainError("has changed since it was checked", "file")
            rekey(uow, touched, progress)
            detail = {"file": path.name[:200], "kind": kind.value, "source": source} | report.counts()
            why = f"import from {source}"
            uow.journal.audit(
                context.now, actor.username, Operation.COLLECTION, "intel_import", digest, why, detail
            )
            uow.commit()
        report.written = True


def _quiet(stage: str, done: int, total: int | None) -> None:
    """No progress shown."""


def _record(kind: ImportKind, raw: Raw, context: RowContext) -> Record:
    if isinstance(raw, DomainError):
        raise raw
    return check_row(kind, raw, context)
