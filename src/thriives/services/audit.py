"""Use-cases: verify the audit log and the events end to end; take a signed checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from thriives.adapters.db.audit_guards import guard_problems
from thriives.adapters.db.journal import StoredHead
from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.audit_chain import AuditEntry, Finding, verify_chain
from thriives.domain.audit_checkpoint import Checkpoint, read_line, signed_line
from thriives.domain.event_chain import EventFinding, SealedEvent, verify_events
from thriives.domain.row_seal import ROW_NAMES, SEALED_COLUMNS, RowFinding, SealedRow, sealed_row, verify_rows


@dataclass
class AuditReport:
    """What a verification read and every problem it found, for people to read."""

    entries: int = 0
    legacy_entries: int = 0  # sealed before keyed sealing (plain SHA-256)
    events: int = 0  # in the events' sealed chain
    legacy_events: int = 0  # written before keyed sealing: not covered
    checkpoints: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # assessments, DASH records: sealed digests
    legacy_rows: dict[str, int] = field(default_factory=dict)  # written before keyed sealing
    findings: list[Finding] = field(default_factory=list)
    event_findings: list[EventFinding] = field(default_factory=list)
    row_findings: list[RowFinding] = field(default_factory=list)
    store_problems: list[str] = field(default_factory=list)  # guards, checkpoint file
    notes: list[str] = field(default_factory=list)
    head: StoredHead | None = None  # the head as verified

    @property
    def intact(self) -> bool:
        return not (self.findings or self.event_findings or self.row_findings or self.store_problems)

    def problems(self) -> list[str]:
        """Every problem as one line of plain words."""
        lines = [
            f"entry {f.seq}: {f.problem}" if f.seq is not None else f"audit log: {f.problem}"
            for f in self.findings
        ]
        lines += [
            f"event {f.event_id}: {f.problem}" if f.event_id is not None else f"events: {f.problem}"
            for f in self.event_findings
        ]
        return lines + [f.line() for f in self.row_findings] + self.store_problems


def _checkpoints(lines: list[str] | None, uow: UnitOfWorkFactory, report: AuditReport) -> list[Checkpoint]:
    if lines is None:
        return []
    read: list[Checkpoint] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            read.append(read_line(line, uow.keys))
        except ValueError as error:
            report.store_problems.append(f"checkpoint line {number}: {error}")
    if not read and not report.store_problems:
        report.store_problems.append("the checkpoint file holds no checkpoint")
    report.checkpoints = len(read)
    return read


def verify_audit(uow: UnitOfWorkFactory, checkpoint_lines: list[str] | None = None) -> AuditReport:
    """Verify both chains, the store's guards and, when given, every checkpoint line.

    1. Read the head, the audit entries and the sealed events from one snapshot.
    2. Check the audit chain (keyed from the recorded boundary on) and the events' chain,
       and each assessment and DASH record against the digest its sealed event carries.
    3. Check each checkpoint's signature, that its boundaries match the head's, and that
       the entry and event it recorded are still there with the same seal.
    4. Ask the store whether its append-only triggers are in place and enabled.
    """
    report = AuditReport()
    checkpoints = _checkpoints(checkpoint_lines, uow, report)
    with uow() as work:
        work.journal.snapshot()
        head = report.head = work.journal.head()
        for checkpoint in checkpoints:
            if (checkpoint.keyed_from, checkpoint.event_from) != (head.keyed_from, head.event_from):
                report.store_problems.append(
                    f"the checkpoint of {checkpoint.at:%Y-%m-%d %H:%M:%S} UTC records keyed sealing from"
                    f" entry {checkpoint.keyed_from} and event id {checkpoint.event_from}; the head now says"
                    f" {head.keyed_from} and {head.event_from} (the boundary was moved)"
                )

        def counted() -> Iterator[AuditEntry]:
            for entry in work.journal.audit_entries():
                report.entries += 1
                yield entry

        report.findings = verify_chain(
            counted(),
            head.seq,
            head.seal,
            uow.keys,
            head.keyed_from,
            {c.seq: c.seal for c in checkpoints if c.seq},
        )
        sealed: dict[str, dict[int, SealedRow]] = {table: {} for table in SEALED_COLUMNS}
        first: list[SealedEvent] = []

        def watched() -> Iterator[SealedEvent]:  # note the row digests the events carry
            for event in work.journal.sealed_events(head.event_from):
                first[:] = first or [event]
                found = sealed_row(event.id, event.kind, event.data)
                if found is not None:
                    sealed[found.table][found.row_id] = found
                yield event

        report.events, report.event_findings = verify_events(
            watched(),
            head.event_count,
            head.event_seal,
            uow.keys,
            {c.event_count: c.event_seal for c in checkpoints if c.event_count},
        )
        report.legacy_entries = min(report.entries, head.keyed_from - 1)
        report.legacy_events = work.journal.events_before(head.event_from)
        # No event before keyed sealing: no row can be older than it either.
        legacy_before = None
        if report.legacy_events:
            legacy_before = first[0].at if first else datetime.max.replace(tzinfo=UTC)
        for table, digests in sealed.items():
            check = verify_rows(table, work.assessments.every_row(table), digests, legacy_before)
            report.rows[table], report.legacy_rows[table] = check.covered, check.legacy
            report.row_findings += check.findings
        report.store_problems += guard_problems(work.connection)
    _explain(report, checkpoint_lines is not None)
    return report


def _explain(report: AuditReport, against: bool) -> None:
    if report.legacy_entries:
        if report.entries > report.legacy_entries:
            report.notes.append(
                f"entries 1 to {report.legacy_entries} were sealed before keyed sealing (plain SHA-256);"
                f" entry {report.legacy_entries + 1}, the first keyed one, seals the last of them"
            )
        else:
            report.notes.append(
                f"all {report.legacy_entries} entries were sealed before keyed sealing (plain SHA-256)"
                " and no keyed entry follows yet: until one does, they prove nothing"
            )
    if report.legacy_events:
        report.notes.append(
            f"{report.legacy_events} events written before keyed sealing are not covered by the events' chain"
        )
    legacy_rows = [
        f"{n} {ROW_NAMES[table]}{'' if n == 1 else 's'}" for table, n in report.legacy_rows.items() if n
    ]
    if legacy_rows:
        report.notes.append(
            f"{' and '.join(legacy_rows)} written before keyed sealing carry no sealed digest: not covered"
        )
    if not against:
        report.notes.append(
            "checked without a checkpoint: a log cut short or emptied, with its head moved to match,"
            " looks intact; verify --against a checkpoint to rule that out"
        )


def take_checkpoint(
    uow: UnitOfWorkFactory, now: datetime, earlier: list[str] | None = None
) -> tuple[AuditReport, str | None]:
    """Verify (against the earlier checkpoints, when there are any), then return a signed
    checkpoint line of both heads; None when not intact: a checkpoint must never bless a
    chain that has already been tampered with."""
    report = verify_audit(uow, earlier or None)
    if not report.intact or report.head is None:
        return report, None
    head = report.head
    key = uow.keys.current
    checkpoint = Checkpoint(
        at=now,
        seq=head.seq,
        seal=head.seal,
        count=head.seq,
        keyed_from=head.keyed_from,
        event_count=head.event_count,
        event_seal=head.event_seal,
        event_from=head.event_from,
        key_id=key.key_id,
    )
    return report, signed_line(checkpoint, key)
