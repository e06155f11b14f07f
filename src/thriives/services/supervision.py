"""Supervision and quality assurance: the review queue, reviews, feedback, the sample, figures.

The queue holds every downgrade awaiting a decision, every domestic-abuse and high-risk
incident, every breached clock and late reassessment, and the random sample. A supervisor
reads the call, its assessments and their reasons, its searches and its grade, then fills
the review form (policy data, versioned); the handler sees the feedback and acknowledges it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, is_own_call, require
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.audit_chain import Operation
from thriives.domain.categories import CategoryPolicy
from thriives.domain.compliance import GROUPINGS, Figures, figures, period_bounds, total
from thriives.domain.errors import Conflict, DomainError, Forbidden
from thriives.domain.incidents import require_reason
from thriives.domain.review_form import Answer, SupervisionPolicy, score_review
from thriives.domain.sampling import Candidate, SamplePolicy, draw
from thriives.services.clocks import Clocks
from thriives.services.qa_facts import FactsKeeper

QA = "supervision: quality assurance of call handling"
QUEUE_KINDS = (
    "downgrade",
    "domestic_abuse",
    "high_risk",
    "attendance_breach",
    "late_reassessment",
    "late_grading",
    "late_follow_up",
    "late_assessment",  # an initial grade's full assessment did not follow in time
    "sample",
)
REVIEWED_KINDS = tuple(k for k in QUEUE_KINDS if k != "downgrade")
MAX_SEED = 100
FACTS_BATCH = 2_000


def _not_own_call(uow: SqlUnitOfWork, actor: Actor, incident: dict[str, Any], field: str) -> None:
    authors = (row["created_by"] for row in uow.assessments.history(incident["id"]))
    if is_own_call(actor, incident["created_by"], authors):
        raise Forbidden("you took or assessed this call: another supervisor must do this", field)


def month_bounds(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds of a local calendar month ``YYYY-MM``, refusing anything else."""
    try:
        year, month = (int(part) for part in period.split("-"))
        first = date(year, month, 1)
        last = date(year + (month == 12), month % 12 + 1, 1)  # December 9999 has no after
    except ValueError as error:
        raise DomainError("must be a month, YYYY-MM", "period") from error
    start, _ = period_bounds(first, first, zone)
    end, _ = period_bounds(last, last, zone)
    return start, end


class SupervisionService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        policy: SupervisionPolicy,
        categories: CategoryPolicy,
        assessment: AssessmentPolicy,
        clocks: Clocks,
        facts: FactsKeeper,
        timezone: str,
    ) -> None:
        self._uow = uow
        self.policy = policy
        self.categories = categories
        self.assessment = assessment
        self.clocks = clocks
        self.facts = facts
        self._zone = ZoneInfo(timezone)

    # ---- the queue ---------------------------------------------------------------------

    def queue(self, actor: Actor) -> dict[str, list[dict[str, Any]]]:
        require(actor.role, Permission.REVIEW_CALLS)
        with self._uow() as uow:
            items = uow.supervision.open_items(list(QUEUE_KINDS))
        grouped: dict[str, list[dict[str, Any]]] = {kind: [] for kind in QUEUE_KINDS}
        for item in items:
            grouped.setdefault(item["kind"], []).append(item)
        return grouped

    def item(self, actor: Actor, item_id: int, now: datetime) -> dict[str, Any]:
        """Everything a reviewer reads: the call, its assessments and reasons, its searches,
        its grade, its timeline. Audited as a consultation for quality assurance."""
        require(actor.role, Permission.REVIEW_CALLS)
        with self._uow(write=True) as uow:
            item = uow.supervision.item(item_id)
            incident = uow.incidents.get_by_id(item["incident_id"])
            assert incident is not None
            view = {
                "item": item,
                "incident": incident,
                "assessments": uow.assessments.history(incident["id"]),
                "dash": uow.assessments.dash_history(incident["id"]),
                "searches": uow.intel.searches_of(incident["id"]),
                "timeline": uow.journal.timeline(incident["id"]),
                "reviews": uow.supervision.reviews_of_incident(incident["id"]),
                "handler": (uow.users.by_id(incident["created_by"]) or {}).get("username")
                if incident["created_by"]
                else None,
            }
            uow.journal.audit(
                now, actor.username, Operation.CONSULTATION, "incident", incident["reference"], QA
            )
            uow.commit()
        return view

    def decide_downgrade(
        self, actor: Actor, item_id: int, approve: bool, reason: str | None, now: datetime
    ) -> dict[str, Any]:
        """Approve or reject a downgrade, with a reason. Rejecting regrades the incident to
        the grade the assessment proposed. Nobody decides on their own downgrade."""
        require(actor.role, Permission.REVIEW_CALLS)
        text = require_reason(reason, True)
        with self._uow(write=True) as uow:
            item = uow.supervision.item(item_id, for_update=True)
            if item["kind"] != "downgrade":
                raise DomainError(f"review item {item_id} is not a downgrade", "item_id")
            if item["status"] != "open":
                raise Conflict(
                    f"this downgrade was already {item['status']} by {item['decided_by']}", "item_id"
                )
            if item["created_by"] == actor.username:
                raise Forbidden("a supervisor cannot decide on their own downgrade", "item_id")
            incident = uow.incidents.get_by_id(item["incident_id"])
            assert incident is not None
            _not_own_call(uow, actor, incident, "item_id")
            status = "approved" if approve else "rejected"
            if not uow.supervision.decide(item_id, status, actor.username, now, text):
                raise Conflict("this downgrade changed while you were deciding; reload", "item_id")
            detail = item["detail"]
            data = {
                "item": item_id,
                "proposed": detail.get("proposed"),
                "chosen": detail.get("chosen"),
                "reason": text,
            }
            uow.journal.event(now, actor.username, f"review.downgrade_{status}", data, incident["id"])
            after = incident
            if not approve and detail.get("proposed") and incident["grade"] != detail["proposed"]:
                after = self._regrade(uow, actor, incident, detail["proposed"], text, now)
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                incident["reference"],
                QA,
                {"review_item": item_id, "decision": status},
            )
            uow.commit()
            return {
                "item": item_id,
                "status": status,
                "grade": after["grade"],
                "reference": incident["reference"],
            }

    def _regrade(
        self,
        uow: SqlUnitOfWork,
        actor: Actor,
        incident: dict[str, Any],
        grade: str,
        reason: str,
        now: datetime,
    ) -> dict[str, Any]:
        changes = {"grade": grade, "updated_at": now}
        if not uow.incidents.update(incident["id"], incident["version"], changes):
            raise Conflict("the incident changed while you were deciding; reload", "version")
        after = incident | changes | {"version": incident["version"] + 1}
        uow.journal.event(
            now,
            actor.username,
            "incident.regraded",
            {"before": {"grade": incident["grade"]}, "after": {"grade": grade}, "reason": reason},
            incident["id"],
        )
        self.clocks.graded(uow, after, now, actor.username)
        return after

    # ---- reviews -----------------------------------------------------------------------

    def review(
        self, actor: Actor, reference: str, answers: dict[str, Answer], feedback: str | None, now: datetime
    ) -> dict[str, Any]:
        """Record a structured review of an incident that is in the review queue."""
        require(actor.role, Permission.REVIEW_CALLS)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            open_items = uow.supervision.open_items(list(REVIEWED_KINDS), incident_id=incident["id"])
            if not open_items:
                raise DomainError(f"{reference} is not in the review queue", "reference")
            _not_own_call(uow, actor, incident, "reference")
            latest = uow.assessments.latest(incident["id"])
            # With no assessment on record, each factor of the default model is rated (as
            # not applied, one expects), so the review still judges the model's use.
            model = self.assessment.models[latest["model"] if latest else self.assessment.default_model]
            factors = [f.code for f in model.factors]
            scored = score_review(
                self.policy.form,
                answers,
                feedback,
                factors,
                list(self.categories.categories),
                [g.code for g in self.assessment.grades],
            )
            handler_row = uow.users.by_id(incident["created_by"]) if incident["created_by"] else None
            handler = handler_row["username"] if handler_row else "unknown"
            review_id = uow.supervision.add_review(
                {
                    "incident_id": incident["id"],
                    "review_item_id": open_items[0]["id"],
                    "form_version": self.policy.form.version,
                    "answers": scored.answers,
                    "score": scored.score,
                    "feedback": (feedback or "").strip(),
                    "reviewer": actor.username,
                    "reviewed_at": now,
                    "handler": handler,
                }
            )
            for item in open_items:
                uow.supervision.decide(item["id"], "reviewed", actor.username, now, f"review {review_id}")
            category = scored.answers.get("category_correct", {}).get("value")
            self.facts.reviewed(
                uow,
                incident["id"],
                scored.score,
                None if category in (None, "not_applicable") else category == "yes",
            )
            uow.journal.event(
                now,
                actor.username,
                "review.completed",
                {
                    "review": review_id,
                    "score": scored.score,
                    "form": self.policy.form.version,
                    "handler": handler,
                },
                incident["id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.COLLECTION,
                "review",
                str(review_id),
                QA,
                {"incident": reference},
            )
            uow.commit()
            return {
                "id": review_id,
                "score": scored.score,
                "handler": handler,
                "form_version": self.policy.form.version,
            }

    def feedback(self, actor: Actor) -> list[dict[str, Any]]:
        """The reviews of the actor's own work, newest first."""
        require(actor.role, Permission.RECEIVE_FEEDBACK)
        with self._uow() as uow:
            return uow.supervision.reviews_of_handler(actor.username)

    def acknowledge(self, actor: Actor, review_id: int, note: str | None, now: datetime) -> dict[str, Any]:
        require(actor.role, Permission.RECEIVE_FEEDBACK)
        text = require_reason(note, False, "note")
        with self._uow(write=True) as uow:
            review = uow.supervision.review(review_id)
            if review["handler"] != actor.username:
                raise Forbidden("only the call handler whose work was reviewed acknowledges it", "review_id")
            if not uow.supervision.acknowledge(review_id, now, text):
                raise Conflict("this feedback was already acknowledged", "review_id")
            uow.journal.event(
                now, actor.username, "review.acknowledged", {"review": review_id}, review["incident_id"]
            )
            uow.journal.audit(
                now, actor.username, Operation.ALTERATION, "review", str(review_id), QA, {"acknowledged": 1}
            )
            uow.commit()
            return review | {"acknowledged_at": now, "acknowledgement": text}

    def unacknowledged(self, actor: Actor) -> list[dict[str, Any]]:
        require(actor.role, Permission.REVIEW_CALLS)
        with self._uow() as uow:
            return uow.supervision.unacknowledged()

    # ---- the sample --------------------------------------------------------------------

    def draw_sample(self, actor: Actor, period: str, seed: str, now: datetime) -> dict[str, Any]:
        """Draw a month's random sample from incidents not otherwise queued; log the draw
        (seed, pool size, every pick and why) so it can be reproduced; queue the picks."""
        require(actor.role, Permission.REVIEW_CALLS)
        seed = seed.strip()
        if not 0 < len(seed) <= MAX_SEED:
            raise DomainError(f"must be 1 to {MAX_SEED} characters", "seed")
        start, end = month_bounds(period, self._zone)
        if end > now:
            # One draw a month, over the whole month: drawn early, later calls could never
            # be sampled and a handler's minimum would be counted on part of their month.
            raise DomainError(f"{period} is not over yet; draw its sample once it is", "period")
        with self._uow(write=True) as uow:
            if uow.supervision.draws(period):
                raise Conflict(f"the sample for {period} was already drawn", "period")
            pool = self._pool(uow, start, end, now)
            rule = SamplePolicy(self.policy.sample_share, self.policy.sample_per_handler)
            picks = draw(seed, period, pool, rule)
            ids = uow.supervision.incident_ids([p.reference for p in picks])
            draw_id = uow.supervision.add_draw(
                {
                    "period": period,
                    "seed": seed,
                    "policy_version": self.policy.version,
                    "share": {"share": rule.share, "per_handler": rule.per_handler},
                    "candidates": len(pool),
                    "picks": [asdict(p) for p in picks],
                    "drawn_by": actor.username,
                    "drawn_at": now,
                }
            )
            for pick in picks:
                self.facts.enqueue(
                    uow,
                    ids[pick.reference],
                    "sample",
                    {"draw": draw_id, "why": pick.why},
                    actor.username,
                    now,
                )
            uow.journal.event(
                now,
                actor.username,
                "review.sample_drawn",
                {"draw": draw_id, "period": period, "picked": len(picks)},
            )
            uow.commit()
        return {"id": draw_id, "period": period, "candidates": len(pool), "picks": [asdict(p) for p in picks]}

    def _pool(self, uow: SqlUnitOfWork, start: datetime, end: datetime, as_of: datetime) -> list[Candidate]:
        """The month's incidents as they stood at ``as_of``, less those queued for another
        reason by then: rebuilt the same way later, so a logged draw can be reproduced."""
        queued = uow.supervision.queued_before(as_of, [k for k in QUEUE_KINDS if k != "sample"])
        return [
            Candidate(ref, handler)
            for ref, handler in uow.supervision.sample_candidates(start, end, as_of)
            if ref not in queued
        ]

    def reproduce(self, actor: Actor, draw_id: int) -> dict[str, Any]:
        """Draw again from a logged draw's seed over its pool rebuilt as it stood then, and
        say whether the picks are the same."""
        require(actor.role, Permission.REVIEW_CALLS)
        with self._uow() as uow:
            logged = next((d for d in uow.supervision.draws() if d["id"] == draw_id), None)
            if logged is None:
                raise DomainError(f"no sample draw {draw_id}", "draw_id")
            start, end = month_bounds(logged["period"], self._zone)
            pool = self._pool(uow, start, end, logged["drawn_at"])
        rule = SamplePolicy(logged["share"]["share"], logged["share"]["per_handler"])
        again = [asdict(p) for p in draw(logged["seed"], logged["period"], pool, rule)]
        return {"id": draw_id, "same": again == logged["picks"], "candidates": len(pool), "picks": again}

    # ---- the figures -------------------------------------------------------------------

    def dashboard(self, actor: Actor, start: date, end: date, grouping: str) -> dict[str, Any]:
        """The compliance figures by handler, team, shift or week for local days start..end."""
        require(actor.role, Permission.VIEW_COMPLIANCE)
        if grouping not in GROUPINGS:
            raise DomainError(f"must be one of {', '.join(GROUPINGS)}", "by")
        first, after = period_bounds(start, end, self._zone)
        with self._uow() as uow:
            sums = uow.supervision.sums(first, after, grouping)
        rows: list[Figures] = [figures(s) for s in sums]
        return {"by": grouping, "start": start, "end": end, "rows": rows, "total": figures(total(sums))}

    # ---- facts for incidents from before supervision -----------------------------------

    def backfill_facts(self) -> int:
        """Write facts rows for incidents that have none (a store from an earlier version,
        or the demo's history); returns how many. Run by ``thriives migrate``."""
        with self._uow() as uow:
            if uow.supervision.facts_count() >= uow.incidents.count():
                return 0  # every incident has its facts: the usual case, two counts
        written = 0
        while True:
            with self._uow(write=True) as uow:
                rows = uow.supervision.incidents_without_facts(FACTS_BATCH)
                if not rows:
                    return written
                facts = []
                for r in rows:
                    row = self.facts.row(r["id"], r["received_at"], r["username"] or "unknown", r["team"])
                    closed = int(r["status"] == "closed")
                    facts.append(
                        row
                        | {
                            "assessed": int(r["assessed"]),
                            "searched": int(r["searched"]),
                            "closed": closed,
                            "same_category": int(closed and r["closing_category"] == r["opening_category"]),
                            "category_reviews": 0,
                            "category_correct": 0,
                            "tasks": int(r["tasks"]),
                            "tasks_on_time": int(r["tasks_on_time"]),
                            "reviews": 0,
                            "score_total": 0,
                        }
                    )
                uow.supervision.add_many_facts(facts)
                uow.commit()
                written += len(facts)
