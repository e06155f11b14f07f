"""Use-cases of linked and duplicate incidents: offer possible duplicates, link, show links.

What a real control room does with a second call about a live incident, and what thriives
does: the second call is closed as "duplicate of X" (closure reason from policy), and its
caller, number and account stay visible on X's record (X's page lists the duplicate calls
with their callers), so there is one incident to work, one clock and one set of units.
Two incidents that are not the same event but belong together (a fight and the injured
party turning up at a hospital) are linked as related: both stay open and each shows the
other. Declared separate, the pair is recorded (who, when, why) and not offered again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.audit_chain import Operation
from thriives.domain.duplicates import (
    CallFacts,
    LinkPolicy,
    LinkSide,
    Relation,
    ago,
    check_link,
    find_candidates,
    open_duplicates_of,
)
from thriives.domain.errors import Conflict, DomainError, NotFound
from thriives.domain.incidents import LIVE_STATUSES, Status, find_transition, require_reason
from thriives.services.qa_facts import FactsKeeper

OPERATIONAL = "operational: incident handling"
MAX_REFERENCE = 40


def _facts(row: dict[str, Any], people: dict[int, str], duplicate_of: str | None = None) -> CallFacts:
    return CallFacts(
        reference=row["reference"],
        status=row["status"],
        received_at=row["received_at"],
        caller_name=row["caller_name"],
        caller_phone=row["caller_phone"],
        location_text=row["location_text"],
        postcode=row["postcode"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        people=people,
        duplicate_of=duplicate_of,
    )


def _seen_from_here(row: dict[str, Any]) -> str:
    """A relation as the incident whose page shows it reads it."""
    if row["relation"] == Relation.DUPLICATE.value:
        return "duplicate_of" if row["outgoing"] else "has_duplicate"
    return str(row["relation"])


class LinkService:
    def __init__(
        self, uow: UnitOfWorkFactory, policy: LinkPolicy, timezone: str, facts: FactsKeeper | None = None
    ) -> None:
        self._uow = uow
        self.policy = policy
        self._zone = ZoneInfo(timezone)
        self.facts = facts

    # -- possible duplicates ---------------------------------------------------------------

    def possible_duplicates(self, actor: Actor, reference: str, now: datetime) -> dict[str, Any]:
        """Live and recent incidents that may be the same event, each with its reasons.

        1. Read the incident, those sharing something with it inside the policy's window,
           the people attached to each, and what is already linked or declared separate.
        2. Let the domain pick and rank the candidates with their reasons.
        3. Audit the reading (the candidates show callers' names) as a consultation.
        """
        require(actor.role, Permission.VIEW_INCIDENT)
        with self._uow() as uow:
            incident = uow.incidents.require(reference[:MAX_REFERENCE])
            if incident["status"] == Status.CLOSED.value:
                return {"reference": incident["reference"], "status": incident["status"], "candidates": []}
            window = timedelta(hours=self.policy.live_hours)
            rows = uow.records.near_in_time(
                incident, incident["received_at"] - window, max(now, incident["received_at"] + window)
            )
            people = uow.records.people_attached([incident["id"]] + [r["id"] for r in rows])
            relations = uow.records.relations_of(incident["id"])
            duplicate_of = uow.records.duplicate_targets([r["id"] for r in rows])
        already = frozenset(r["reference"] for r in relations)
        this = _facts(incident, people.get(incident["id"], {}))
        others = [_facts(r, people.get(r["id"], {}), duplicate_of.get(r["id"])) for r in rows]
        found = find_candidates(this, others, self.policy, now, already)
        by_reference = {r["reference"]: r for r in rows}
        candidates = [
            {
                "reference": c.reference,
                "status": c.status,
                "live": c.live,
                "received_at": c.received_at,
                "received": ago(c.received_at, now),
                "category": by_reference[c.reference]["opening_category"],
                "grade": by_reference[c.reference]["grade"],
                "caller_name": by_reference[c.reference]["caller_name"],
                "location_text": by_reference[c.reference]["location_text"],
                "postcode": by_reference[c.reference]["postcode"],
                "reasons": list(c.reasons),
                "duplicate_of": c.duplicate_of,
            }
            for c in found
        ]
        if candidates:
            with self._uow(write=True) as uow:
                uow.journal.audit(
                    now,
                    actor.username,
                    Operation.CONSULTATION,
                    "incident",
                    incident["reference"],
                    "operational: possible duplicates",
                    {"candidates": [c["reference"] for c in candidates]},
                )
                uow.commit()
        return {"reference": incident["reference"], "status": incident["status"], "candidates": candidates}

    # -- linking ---------------------------------------------------------------------------

    def link(
        self,
        actor: Actor,
        reference: str,
        other: str,
        relation: str,
        reason: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """Record a decision about two incidents; a duplicate is closed in the same commit.

        1. Check the relation and reason; read both incidents (locked) and their links.
        2. Let the domain refuse a link that must not be made (itself, a closed incident
           from another day, already linked, a duplicate of a duplicate, a unit held).
        3. A duplicate must have no open reassessment task or booked appointment.
        4. Record the relation; journal an event and audit an alteration on each incident;
           close a duplicate (its clocks stop); commit.
        """
        require(actor.role, Permission.UPDATE_INCIDENT)
        kind = self._relation(relation)
        if kind is Relation.DUPLICATE:
            require(actor.role, Permission.CLOSE_INCIDENT)
        text = require_reason(reason, False)
        wanted = (other or "").strip().upper()[:MAX_REFERENCE]
        if not wanted:
            raise DomainError("give the other incident's reference", "other")
        if not wanted.isprintable():
            raise DomainError("a reference holds only letters, digits and -", "other")
        if text and "\x00" in text:
            raise DomainError("may not hold a NUL character", "reason")
        with self._uow(write=True) as uow:
            this = uow.incidents.require(reference[:MAX_REFERENCE], for_update=True)
            that = uow.incidents.get(wanted, for_update=True)
            if that is None:
                raise NotFound(f"no incident {wanted!r}", "other")
            mine = uow.records.relations_of(this["id"])
            existing = next((r for r in reversed(mine) if r["reference"] == that["reference"]), None)
            check_link(
                self._side(this, mine),
                self._side(that, uow.records.relations_of(that["id"])),
                kind,
                Relation(existing["relation"]) if existing else None,
                self.policy,
            )
            if kind is Relation.DUPLICATE:
                self._check_can_close(uow, this)
            link_id = uow.records.add_relation(
                {
                    "incident_id": this["id"],
                    "other_id": that["id"],
                    "relation": kind.value,
                    "reason": text,
                    "created_by": actor.username,
                    "created_at": now,
                }
            )
            self._journal(uow, actor, this, that, kind, text, now)
            if kind is Relation.DUPLICATE:
                self._close_as_duplicate(uow, actor, this, that["reference"], text, now)
            uow.commit()
        return {
            "id": link_id,
            "reference": this["reference"],
            "other": that["reference"],
            "relation": kind.value,
            "reason": text,
            "created_by": actor.username,
            "created_at": now,
            "closed": kind is Relation.DUPLICATE,
        }

    @staticmethod
    def _relation(value: str) -> Relation:
        try:
            return Relation(value)
        except ValueError as error:
            allowed = ", ".join(r.value for r in Relation)
            raise DomainError(f"{str(value)[:40]!r} is not one of: {allowed}", "relation") from error

    def _side(self, incident: dict[str, Any], relations: list[dict[str, Any]]) -> LinkSide:
        return LinkSide(
            reference=incident["reference"],
            status=incident["status"],
            received_at=incident["received_at"],
            day=incident["received_at"].astimezone(self._zone).date(),
            duplicate_of=next(
                (str(r["reference"]) for r in relations if r["outgoing"] and r["relation"] == "duplicate"),
                None,
            ),
            duplicates=tuple(
                str(r["reference"]) for r in relations if not r["outgoing"] and r["relation"] == "duplicate"
            ),
        )

    @staticmethod
    def _check_can_close(uow: SqlUnitOfWork, incident: dict[str, Any]) -> None:
        task = uow.dispatch.open_task(incident["id"])
        if task is not None:
            raise DomainError(
                f"reassessment task {task['id']} is open on this incident; "
                "complete it, or link it as related",
                "relation",
            )
        if uow.dispatch.booked_appointment(incident["id"]) is not None:
            raise DomainError(
                "an appointment is booked for this incident; cancel it first, or link it as related",
                "relation",
            )

    def _journal(
        self,
        uow: SqlUnitOfWork,
        actor: Actor,
        this: dict[str, Any],
        that: dict[str, Any],
        kind: Relation,
        reason: str | None,
        now: datetime,
    ) -> None:
        event = "incident.declared_separate" if kind is Relation.SEPARATE else "incident.linked"
        seen = {
            Relation.DUPLICATE: ("duplicate_of", "has_duplicate"),
            Relation.RELATED: ("related", "related"),
            Relation.SEPARATE: ("separate", "separate"),
        }[kind]
        for incident, other, as_seen in ((this, that, seen[0]), (that, this, seen[1])):
            data = {"other": other["reference"], "relation": as_seen, "reason": reason}
            uow.journal.event(now, actor.username, event, data, incident["id"])
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                incident["reference"],
                reason or OPERATIONAL,
                {"fields": ["links"], "other": other["reference"], "relation": as_seen},
            )

    def _close_as_duplicate(
        self,
        uow: SqlUnitOfWork,
        actor: Actor,
        incident: dict[str, Any],
        primary: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        """Close the second call as a duplicate: its record continues on the first."""
        find_transition(Status(incident["status"]), Status.CLOSED)
        note = f"duplicate of {primary}" + (f": {reason}" if reason else "")
        changes = {
            "status": Status.CLOSED.value,
            "closing_category": incident["opening_category"],
            "closure_reason": self.policy.duplicate_closure_reason,
            "closure_note": note[:2000],
            "updated_at": now,
        }
        if not uow.incidents.update(incident["id"], incident["version"], changes):
            raise Conflict("the incident changed while you were linking it; reload", "version")
        uow.dispatch.cancel_all_deadlines(incident["id"])
        if self.facts is not None:
            self.facts.closed(uow, incident, incident["opening_category"])
        shown = {k: v for k, v in changes.items() if k != "updated_at"}
        before = {k: incident[k] for k in shown}
        data = {"before": before, "after": shown, "reason": f"duplicate of {primary}"}
        uow.journal.event(now, actor.username, "incident.closed", data, incident["id"])
        uow.journal.audit(
            now,
            actor.username,
            Operation.ALTERATION,
            "incident",
            incident["reference"],
            f"duplicate of {primary}",
            {"fields": sorted(shown)},
        )

    # -- reading links ---------------------------------------------------------------------

    def links_of(self, actor: Actor, reference: str, now: datetime) -> dict[str, Any]:
        """The incident's links as its page shows them, the current decision per other
        incident, and the caller details of each duplicate call recorded on it (a
        consultation of those calls, audited)."""
        require(actor.role, Permission.VIEW_INCIDENT)
        with self._uow() as uow:
            incident = uow.incidents.require(reference[:MAX_REFERENCE])
            rows = uow.records.relations_of(incident["id"])
            latest: dict[str, dict[str, Any]] = {}
            for row in rows:
                latest[row["reference"]] = row
            calls = [r for r in latest.values() if _seen_from_here(r) == "has_duplicate"]
            details = uow.records.summaries([r["incident_id"] for r in calls])
        links = []
        for row in latest.values():
            seen = _seen_from_here(row)
            call = details.get(row["incident_id"]) if seen == "has_duplicate" else None
            links.append(
                {
                    "other": row["reference"],
                    "other_status": row["status"],
                    "relation": seen,
                    "reason": row["reason"],
                    "created_by": row["created_by"],
                    "created_at": row["created_at"],
                    "caller": {
                        k: call[k]
                        for k in (
                            "caller_name",
                            "caller_phone",
                            "received_at",
                            "channel",
                            "account",
                            "location_text",
                            "postcode",
                        )
                    }
                    if call
                    else None,
                }
            )
        if calls:
            with self._uow(write=True) as uow:
                for row in calls:
                    uow.journal.audit(
                        now,
                        actor.username,
                        Operation.CONSULTATION,
                        "incident",
                        row["reference"],
                        f"operational: duplicate call recorded on {incident['reference']}",
                    )
                uow.commit()
        duplicate_of = next((link["other"] for link in links if link["relation"] == "duplicate_of"), None)
        return {
            "reference": incident["reference"],
            "status": incident["status"],
            "duplicate_of": duplicate_of,
            "links": links,
        }

    def board_links(self) -> dict[str, list[str]]:
        """For the board's "linked" marker: each live incident's linked references. It
        holds no caller details (not a consultation); the board's own routes check the role."""
        with self._uow() as uow:
            pairs = uow.records.board_links([s.value for s in LIVE_STATUSES])
        marked: dict[str, list[str]] = {}
        for one, two, _relation in pairs:
            marked.setdefault(one, []).append(two)
            marked.setdefault(two, []).append(one)
        return {reference: list(dict.fromkeys(others)) for reference, others in marked.items()}

    # -- for the close guard ---------------------------------------------------------------

    @staticmethod
    def open_links_needing_attention(uow: SqlUnitOfWork, incident_id: str) -> list[str]:
        """Why the incident may not close yet because of a linked incident, in words: each
        call recorded as its duplicate that is open again. Empty when nothing stands in
        the way. Runs inside the caller's unit of work (the close transaction)."""
        rows = uow.records.relations_of(incident_id)
        latest: dict[str, dict[str, Any]] = {}
        for row in rows:
            latest[row["reference"]] = row
        return open_duplicates_of(
            [(r["reference"], r["status"]) for r in latest.values() if _seen_from_here(r) == "has_duplicate"]
        )
