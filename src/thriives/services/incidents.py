"""Use-cases of the incident: open, read, move through its lifecycle, recategorise, close."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, can, require
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.audit_chain import Operation
from thriives.domain.categories import CategoryPolicy
from thriives.domain.closing import ClosingFacts, closing_blockers
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.grading import is_domestic_abuse
from thriives.domain.incidents import (
    LIVE_STATUSES,
    Contact,
    Status,
    check_categorisation,
    find_transition,
    require_reason,
    validate_contact,
)
from thriives.domain.indicators import Response
from thriives.domain.references import format_reference
from thriives.domain.time_window import TimeWindow
from thriives.services.clocks import Clocks
from thriives.services.links import LinkService
from thriives.services.qa_facts import FactsKeeper
from thriives.services.queue_sightings import QueueSightings
from thriives.services.units import end_on_close

# Moves that belong to dispatch: they move a unit with the incident.
UNIT_MOVES = frozenset({Status.DISPATCHED, Status.AT_SCENE})

OPERATIONAL = "operational: incident handling"
MAX_IDEMPOTENCY_KEY = 200
MAX_PAGE = 1000
MAX_OFFSET = 10_000_000


@dataclass(frozen=True)
class Opened:
    incident: dict[str, Any]
    created: bool  # False when an earlier request with the same idempotency key made it


def request_fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class IncidentService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        policy: CategoryPolicy,
        timezone: str,
        prefix: str,
        assessment_policy: AssessmentPolicy,
        facts: FactsKeeper | None = None,
        clocks: Clocks | None = None,
        window: TimeWindow = TimeWindow(),
    ) -> None:
        self._uow = uow
        self.sightings = QueueSightings(uow)
        self.window = window  # how far back and ahead a received time may be (times.json)
        self.facts = facts
        self.clocks = clocks  # the grading clock an ungraded call runs against
        self.policy = policy
        self._assessment_policy = assessment_policy
        self._zone = ZoneInfo(timezone)
        self._prefix = prefix

    def open(
        self,
        actor: Actor,
        contact: Contact,
        now: datetime,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
    ) -> Opened:
        """Open an incident from a contact, at most once per idempotency key.

        1. Validate the contact against the category policy.
        2. Number it from the day's counter and insert it with its key.
        3. Journal an ``incident.opened`` event and a ``collection`` audit entry; commit.
        4. If the key was used before (the key's primary key refuses the insert, and the whole
           transaction rolls back), return the incident it opened, or refuse a different body.
           Relying on the constraint rather than reading first saves a query on every new call
           and is right under concurrent retries too.
        """
        require(actor.role, Permission.OPEN_INCIDENT)
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise DomainError(f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters", "Idempotency-Key")
        contact = validate_contact(contact, self.policy, now, self.window)
        try:
            with self._uow(write=True) as uow:
                incident = self._insert(uow, actor, contact, now)
                if idempotency_key is not None:
                    uow.incidents.remember_request(
                        actor.user_id, idempotency_key, fingerprint or "", incident["id"], now
                    )
                uow.commit()
                return Opened(incident, created=True)
        except IntegrityError:
            if idempotency_key is None:
                raise
            with self._uow() as uow:
                earlier = self._replay(uow, actor, idempotency_key, fingerprint)
            if earlier is None:
                raise
            return earlier

    def _replay(self, uow: SqlUnitOfWork, actor: Actor, key: str, fingerprint: str | None) -> Opened | None:
        seen = uow.incidents.idempotent_request(actor.user_id, key)
        if seen is None:
            return None
        if seen["request_hash"] != (fingerprint or ""):
            raise Conflict(
                "this key was already used for a different request; use a new key",
                "Idempotency-Key",
            )
        incident = uow.incidents.get_by_id(seen["incident_id"])
        assert incident is not None
        return Opened(incident, created=False)

    def _insert(self, uow: SqlUnitOfWork, actor: Actor, contact: Contact, now: datetime) -> dict[str, Any]:
        day = contact.received_at.astimezone(self._zone).date()
        number = uow.references.next(f"{day:%y%m%d}")
        incident: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "reference": format_reference(self._prefix, day, number),
            "status": Status.OPEN.value,
            "channel": contact.channel.value,
            "received_at": contact.received_at,
            "opening_category": contact.opening_category,
            "qualifiers": list(contact.qualifiers),
            "asb_qualifier": contact.asb_qualifier,
            "caller_name": contact.caller_name,
            "caller_phone": contact.caller_phone,
            "location_text": contact.location_text,
            "postcode": contact.postcode,
            "latitude": contact.latitude,
            "longitude": contact.longitude,
            "account": contact.account,
            "closing_category": None,
            "closure_reason": None,
            "closure_note": None,
            "grade": None,
            "graded_at": None,
            "dash_exemption": None,
            "policy_version": self.policy.version,
            "created_by": actor.user_id,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        uow.incidents.add(incident)
        summary = {
            "reference": incident["reference"],
            "status": incident["status"],
            "channel": incident["channel"],
            "opening_category": incident["opening_category"],
            "qualifiers": incident["qualifiers"],
        }
        uow.journal.event(now, actor.username, "incident.opened", {"after": summary}, incident["id"])
        if self.clocks is not None:
            self.clocks.start_grading(uow, incident, now)
        if self.facts is not None:
            self.facts.opened(uow, incident, actor.username, actor.user_id)
            self._queue_if_domestic_abuse(uow, actor, incident, now)
        uow.journal.audit(
            now,
            actor.username,
            Operation.COLLECTION,
            "incident",
            incident["reference"],
            OPERATIONAL,
            {"fields": sorted(k for k, v in incident.items() if v not in (None, "", []))},
        )
        return incident

    def view(
        self, actor: Actor, reference: str, now: datetime, justification: str = OPERATIONAL
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Read an incident and its timeline; the reading is audited as a consultation."""
        require(actor.role, Permission.VIEW_INCIDENT)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference)
            timeline = uow.journal.timeline(incident["id"])
            uow.journal.audit(
                now, actor.username, Operation.CONSULTATION, "incident", reference, justification
            )
            uow.commit()
        return incident, timeline

    def live_page(
        self, actor: Actor, limit: int = 500, offset: int = 0, *, now: datetime
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of open incidents, oldest first, and how many are open in all, so a
        list never drops a row without saying so. Each shows where it is: who was shown
        which incident is recorded as a consultation when it changes (``QueueSightings``)."""
        require(actor.role, Permission.VIEW_QUEUE)
        if not 1 <= limit <= MAX_PAGE:
            raise DomainError(f"must be from 1 to {MAX_PAGE}", "limit")
        if not 0 <= offset <= MAX_OFFSET:
            raise DomainError(f"must be from 0 to {MAX_OFFSET}", "offset")
        with self._uow() as uow:
            rows, total = uow.incidents.live_page([s.value for s in LIVE_STATUSES], limit, offset)
        self.sightings.seen(actor, (row["reference"] for row in rows), now)
        return rows, total

    def change_status(
        self, actor: Actor, reference: str, target: Status, reason: str | None, now: datetime
    ) -> dict[str, Any]:
        """The generic move, kept for what has no action of its own: reopening, with a reason.
        Every other status comes with its substance: a grade from an assessment, a unit from
        the board, a closing category, reason and note from closing."""
        if target is Status.CLOSED:
            raise DomainError("close an incident with its closing category and reason", "status")
        if target is Status.GRADED:
            raise DomainError("grade the incident through its assessment", "status")
        if target in UNIT_MOVES:
            raise DomainError(
                f"an incident becomes {target.value} when a unit is assigned, arrives or is taken away; "
                "use the dispatch board",
                "status",
            )
        require(actor.role, Permission.REOPEN_INCIDENT)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            transition = find_transition(Status(incident["status"]), target)
            text = require_reason(reason, transition.needs_reason)
            changes: dict[str, Any] = {"status": target.value, "updated_at": now}
            if self.facts is not None:
                self.facts.reopened(uow, incident["id"])
            changes |= {
                "closing_category": None,
                "closure_reason": None,
                "closure_note": None,
                "dash_exemption": None,
            }
            if self.clocks is not None:
                self.clocks.start_grading(uow, incident, now)  # reopened and still ungraded
            return self._save(uow, actor, incident, changes, f"incident.{transition.name}", text, now)

    def close(
        self,
        actor: Actor,
        reference: str,
        closing_category: str,
        closure_reason: str,
        note: str | None,
        now: datetime,
        dash_exemption: str | None = None,
    ) -> dict[str, Any]:
        """Close with a closing category, a reason and a note.

        1. Check the category, reason and note; a domestic-abuse incident needs a DASH record
           first, or a recorded reason why none could be completed.
        2. Refuse, with every reason in words, while something needs attention
           (``domain/closing.py``): nothing is changed.
        3. Free its units, stop its clocks, record the close; commit.
        """
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            text, exemption = self._check_close(
                uow, actor, incident, closing_category, closure_reason, note, dash_exemption
            )
            self._release_on_close(uow, actor, incident, now)
            if self.facts is not None:
                self.facts.closed(uow, incident, closing_category)
            changes = {
                "status": Status.CLOSED.value,
                "closing_category": closing_category,
                "closure_reason": closure_reason,
                "closure_note": text,
                "updated_at": now,
                "dash_exemption": exemption,
            }
            return self._save(uow, actor, incident, changes, "incident.closed", text, now)

    def check_close(
        self,
        actor: Actor,
        reference: str,
        closing_category: str,
        closure_reason: str,
        note: str | None,
        dash_exemption: str | None = None,
    ) -> dict[str, Any]:
        """Everything ``close`` would check, changing nothing: what a confirmation page asks
        about is already known to be closable. Returns the incident."""
        with self._uow() as uow:
            incident = uow.incidents.require(reference)
            self._check_close(uow, actor, incident, closing_category, closure_reason, note, dash_exemption)
            return incident

    def closing_blockers(self, actor: Actor, incident: dict[str, Any]) -> list[str]:
        """Why this actor may not close the incident now, in words (none: it may close).
        Shown above the close form so the handler knows before trying."""
        if incident["status"] == Status.CLOSED.value or not can(actor.role, Permission.CLOSE_INCIDENT):
            return []
        with self._uow() as uow:
            return closing_blockers(self._closing_facts(uow, actor, incident))

    def _check_close(
        self,
        uow: SqlUnitOfWork,
        actor: Actor,
        incident: dict[str, Any],
        closing_category: str,
        closure_reason: str,
        note: str | None,
        dash_exemption: str | None,
    ) -> tuple[str | None, str | None]:
        require(actor.role, Permission.CLOSE_INCIDENT)
        self.policy.require_category(closing_category, "closing_category")
        self.policy.require_closure_reason(closure_reason, "closure_reason")
        text = require_reason(note, True, "note")
        exemption = require_reason(dash_exemption, False, "dash_exemption")
        find_transition(Status(incident["status"]), Status.CLOSED)
        if (
            is_domestic_abuse(
                incident["opening_category"], frozenset(incident["qualifiers"]), self._assessment_policy
            )
            and not uow.assessments.dash_history(incident["id"])
            and not exemption
        ):
            raise DomainError(
                "a domestic-abuse incident needs a DASH record, or a reason why none could be completed",
                "dash_exemption",
            )
        blockers = closing_blockers(self._closing_facts(uow, actor, incident))
        if blockers:
            raise DomainError("cannot close yet: " + "; ".join(blockers), "status")
        return text, exemption

    def _closing_facts(self, uow: SqlUnitOfWork, actor: Actor, incident: dict[str, Any]) -> ClosingFacts:
        """Load what the closing rules look at (``domain/closing.py``)."""
        grade = self._assessment_policy.grade(incident["grade"]) if incident["grade"] else None
        task = uow.dispatch.open_task(incident["id"])
        return ClosingFacts(
            role=actor.role,
            emergency=grade is not None and grade.response is Response.EMERGENCY,
            attended=any(a["arrived_at"] is not None for a in uow.dispatch.assignments_of(incident["id"])),
            open_reviews=tuple(uow.supervision.open_kinds(incident["id"])),
            open_reassessment=task["id"] if task is not None else None,
            linked=tuple(LinkService.open_links_needing_attention(uow, incident["id"])),
        )

    def _queue_if_domestic_abuse(
        self, uow: SqlUnitOfWork, actor: Actor, incident: dict[str, Any], now: datetime
    ) -> None:
        """Every domestic-abuse incident goes to the supervisors' review queue, from the
        moment it is opened (or recategorised) as one, assessed or not."""
        qualifiers = frozenset(incident["qualifiers"])
        if self.facts is not None and is_domestic_abuse(
            incident["opening_category"], qualifiers, self._assessment_policy
        ):
            self.facts.enqueue(uow, incident["id"], "domestic_abuse", {"at": "opened"}, actor.username, now)

    def _release_on_close(
        self, uow: SqlUnitOfWork, actor: Actor, incident: dict[str, Any], now: datetime
    ) -> None:
        """Closing frees every unit that held the incident, ends its open backup request and
        stops all its clocks."""
        for unit in uow.backups.units_holding(incident["id"], for_update=True):
            assignment = uow.dispatch.current_assignment(incident["id"], unit["call_sign"])
            if assignment:
                uow.dispatch.update_assignment(assignment["id"], {"ended_at": now, "end_reason": "closed"})
            changes = {"status": "available", "status_at": now, "incident_id": None}
            if not uow.dispatch.update_unit(unit["call_sign"], unit["version"], changes):
                raise Conflict(f"{unit['call_sign']} changed while you were closing; reload", "version")
            uow.journal.event(
                now,
                actor.username,
                "unit.status",
                {"call_sign": unit["call_sign"], "before": unit["status"], "after": "available"},
                incident["id"],
            )
        follow_up = uow.follow_ups.open_for(incident["id"])
        if follow_up is not None and self.clocks is not None:
            self.clocks.cancel_follow_up(uow, follow_up, "incident closed", now, actor.username)
        end_on_close(uow, incident["id"], now, actor.username)
        booked = uow.dispatch.booked_appointment(incident["id"])
        if booked is not None:
            uow.dispatch.end_appointment(booked["id"], "cancelled", now, "incident closed")
            uow.dispatch.give_back_place(booked["slot_id"])
        uow.dispatch.cancel_all_deadlines(incident["id"])

    def recategorise(
        self,
        actor: Actor,
        reference: str,
        opening_category: str,
        qualifiers: tuple[str, ...],
        asb_qualifier: str | None,
        reason: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """Correct the opening category or qualifiers; NSIR wants a verifiable reason."""
        require(actor.role, Permission.UPDATE_INCIDENT)
        qualifiers = check_categorisation(self.policy, opening_category, qualifiers, asb_qualifier)
        text = require_reason(reason, True)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            if incident["status"] == Status.CLOSED.value:
                raise DomainError("a closed incident cannot be recategorised; reopen it", "status")
            changes = {
                "opening_category": opening_category,
                "qualifiers": list(qualifiers),
                "asb_qualifier": asb_qualifier,
                "updated_at": now,
            }
            self._queue_if_domestic_abuse(uow, actor, incident | changes, now)
            return self._save(uow, actor, incident, changes, "incident.recategorised", text, now)

    def _save(
        self,
        uow: SqlUnitOfWork,
        actor: Actor,
        incident: dict[str, Any],
        changes: dict[str, Any],
        kind: str,
        reason: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """Apply changes guarded by version, journal before/after, audit the alteration, commit."""
        if not uow.incidents.update(incident["id"], incident["version"], changes):
            raise Conflict("the incident changed while you were editing it; reload", "version")
        shown = {k: v for k, v in changes.items() if k != "updated_at"}
        before = {k: incident[k] for k in shown}
        data = {"before": before, "after": shown, "reason": reason}
        uow.journal.event(now, actor.username, kind, data, incident["id"])
        uow.journal.audit(
            now,
            actor.username,
            Operation.ALTERATION,
            "incident",
            incident["reference"],
            reason or OPERATIONAL,
            {"fields": sorted(shown)},
        )
        uow.commit()
        return incident | changes | {"version": incident["version"] + 1}
