"""Use-cases of risk assessment: the form for an incident, a preview, saving an assessment
(and grading the incident from it), DASH, and the supervisors' aide-memoires."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from thriives.adapters.db.initial_grade_repository import InitialGradeRepository
from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.assessment import (
    CallFacts,
    Evaluation,
    Submission,
    advice_due,
    applicable_sets,
    evaluate,
)
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.audit_chain import Operation
from thriives.domain.categories import CategoryPolicy
from thriives.domain.cues import Suggestion, suggest
from thriives.domain.dash import DashResult, DashSubmission, score_dash
from thriives.domain.errors import DomainError
from thriives.domain.grading import is_domestic_abuse
from thriives.domain.incidents import Status
from thriives.domain.row_seal import seal_note
from thriives.services.assessment_due import assessment_followed
from thriives.services.clocks import Clocks
from thriives.services.consultations import consulted
from thriives.services.intel import IntelService

HISTORY_WINDOW = timedelta(days=365)
MAX_AIDE_MEMOIRE = 10_000


@dataclass(frozen=True)
class Assessed:
    version: int
    evaluation: Evaluation
    suggestions: tuple[Suggestion, ...]
    linked_incidents: tuple[str, ...]  # earlier DA incidents from the number, and DA markers on record


class AssessmentService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        categories: CategoryPolicy,
        policy: AssessmentPolicy,
        intel: IntelService | None = None,
        clocks: Clocks | None = None,
    ) -> None:
        self._uow = uow
        self.categories = categories
        self.policy = policy
        self.intel = intel
        self.clocks = clocks

    def facts(
        self, uow: SqlUnitOfWork, incident: dict[str, Any], now: datetime
    ) -> tuple[CallFacts, tuple[str, ...]]:
        """The incident as grading sees it, with the history check of the caller's number: its
        DA incidents in the last 12 months, and DA markers on the people it belongs to."""
        linked: list[str] = []
        if incident["caller_phone"]:
            for row in uow.assessments.recent_by_phone(
                incident["caller_phone"], now - HISTORY_WINDOW, incident["id"]
            ):
                categories = {row["opening_category"], row["closing_category"]}
                if any(
                    is_domestic_abuse(c, frozenset(row["qualifiers"]), self.policy) for c in categories if c
                ):
                    linked.append(row["reference"])
            if self.intel:  # the number of someone with a DA marker on the records
                linked.extend(self.intel.da_flags(uow, incident["caller_phone"], now))
        initial = InitialGradeRepository(uow.connection).get(incident["id"])
        facts = CallFacts(
            incident["opening_category"],
            frozenset(incident["qualifiers"]),
            incident["channel"],
            phone_linked_to_da=bool(linked),
            intel_raises=self.intel.raises(uow, incident["id"], now) if self.intel else (),
            current_grade=incident["grade"],
            initial_grade=initial["grade"] if initial else None,
        )
        return facts, tuple(linked)

    def form(self, actor: Actor, reference: str, now: datetime) -> dict[str, Any]:
        """What the assessment screen needs: sets, model, advice due, cues, aide-memoire, history."""
        require(actor.role, Permission.ASSESS_INCIDENT)
        with self._uow() as uow:
            incident = uow.incidents.require(reference)
            facts, linked = self.facts(uow, incident, now)
            aide = uow.assessments.aide_memoire(incident["opening_category"])
            history = uow.assessments.history(incident["id"])
            dash = uow.assessments.dash_history(incident["id"])
        return {
            "incident": incident,
            "facts": facts,
            "linked_incidents": linked,
            "question_sets": applicable_sets(facts, self.policy),
            "advice_due": advice_due(facts, self.policy),
            "suggestions": suggest(incident["account"], facts.category, facts.qualifiers, self.policy),
            "aide_memoire": aide,
            "history": history,
            "dash": dash,
            "is_domestic_abuse": is_domestic_abuse(facts.category, facts.qualifiers, self.policy),
        }

    def preview(self, actor: Actor, reference: str, submission: Submission, now: datetime) -> Evaluation:
        """The proposal for a form still being filled in: unrated factors stay unrated (never
        read as low) and the proposal is provisional, not below a grade already given."""
        require(actor.role, Permission.ASSESS_INCIDENT)
        with self._uow() as uow:
            facts, _ = self.facts(uow, uow.incidents.require(reference), now)
        return evaluate(submission, facts, self.policy, lenient=True)

    def grade_in(
        self, uow: SqlUnitOfWork, incident: dict[str, Any], grade: str, now: datetime, who: str
    ) -> dict[str, Any] | None:
        """Grade the incident inside the caller's write transaction: set its grade (open
        becomes graded), fix its area, and (re)start its attendance clock if the grade is
        new or changed. Every grading (a full assessment or an initial grade) goes through
        here. Returns the changes, or None if the incident changed since it was read."""
        changes: dict[str, Any] = {"grade": grade, "graded_at": now, "updated_at": now}
        if incident["status"] == Status.OPEN.value:
            changes["status"] = Status.GRADED.value
        if self.clocks is not None and not incident.get("area"):
            changes["area"] = self.clocks.area(uow, incident)[0]
        # The guarded update locks the incident and proves it is still as it was read.
        if not uow.incidents.update(incident["id"], incident["version"], changes):
            return None
        if self.clocks is not None and incident["grade"] != grade:
            # A new or changed grade (re)starts the attendance clock against its target,
            # stops the grading clock and opens or cancels the follow-up it is owed.
            self.clocks.graded(uow, incident | changes, now, who)
        return changes

    def assess(self, actor: Actor, reference: str, submission: Submission, now: datetime) -> Assessed:
        """Save an assessment and grade the incident from it.

        1. Read the incident and its caller's history, and evaluate the submission against
           the policy (refused whole if anything is wrong), outside the write transaction,
           so writers wait on each other only for the writing.
        2. In the write transaction, lock the incident; if it changed since step 1, start
           again from step 1 (a closed incident cannot be assessed).
        3. Store the assessment as the next version; set the incident's grade (open becomes
           graded). A downgrade and any unheeded categorisation cue become review items.
        4. Journal an ``incident.assessed`` event carrying the stored row's digest (sealed by
           the events' chain) and an alteration audit entry; commit.
        """
        require(actor.role, Permission.ASSESS_INCIDENT)
        for _attempt in range(3):
            with self._uow() as uow:
                read = uow.incidents.require(reference)
                if read["status"] == Status.CLOSED.value:
                    raise DomainError("a closed incident cannot be assessed; reopen it first", "status")
                facts, linked = self.facts(uow, read, now)
            evaluation = evaluate(submission, facts, self.policy)
            suggestions = suggest(read["account"], facts.category, facts.qualifiers, self.policy)
            saved = self._save(actor, reference, read, submission, evaluation, suggestions, linked, now)
            if saved is not None:
                return saved
        raise DomainError("the incident keeps changing while you assess it; reload", "version")

    def _save(
        self,
        actor: Actor,
        reference: str,
        read: dict[str, Any],
        submission: Submission,
        evaluation: Evaluation,
        suggestions: tuple[Suggestion, ...],
        linked: tuple[str, ...],
        now: datetime,
    ) -> Assessed | None:
        """Write an evaluated assessment; None when the incident changed since it was read."""
        incident = read
        with self._uow(write=True) as uow:
            changes = self.grade_in(uow, incident, evaluation.final_grade, now, actor.username)
            if changes is None:
                return None
            version = uow.assessments.next_version(incident["id"])
            assessment_followed(uow, incident["id"], version, actor.username, now)
            row = _assessment_row(
                incident, version, submission, evaluation, suggestions, linked, self.policy, actor, now
            )
            row["id"] = uow.assessments.add(row)
            self._review_items(uow, incident, version, evaluation, submission, suggestions, actor, now)
            self._supervision(uow, incident, version, evaluation, actor, now)
            uow.journal.event(
                now,
                actor.username,
                "incident.assessed",
                {
                    "before": {"grade": incident["grade"], "status": incident["status"]},
                    "after": {
                        "grade": evaluation.final_grade,
                        "status": changes.get("status", incident["status"]),
                    },
                    "version": version,
                    "proposed": evaluation.proposed.grade,
                    "rules": [r.rule for r in evaluation.proposed.deciding],
                    "downgrade": evaluation.downgrade,
                    "reason": submission.override_reason,
                }
                | seal_note("assessments", row),  # the row's digest, sealed by the events' chain
                incident["id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.ALTERATION,
                "incident",
                reference,
                "risk assessment",
                {"assessment_version": version},
            )
            uow.commit()
        return Assessed(version, evaluation, suggestions, linked)

    def _supervision(
        self,
        uow: SqlUnitOfWork,
        incident: dict[str, Any],
        version: int,
        evaluation: Evaluation,
        actor: Actor,
        now: datetime,
    ) -> None:
        """Mark the incident assessed in its QA facts; queue every domestic-abuse and
        high-risk incident for review (once each)."""
        facts = self.clocks.facts if self.clocks is not None else None
        if facts is None:
            return
        facts.assessed(uow, incident["id"])
        if is_domestic_abuse(incident["opening_category"], frozenset(incident["qualifiers"]), self.policy):
            facts.enqueue(
                uow, incident["id"], "domestic_abuse", {"assessment_version": version}, actor.username, now
            )
        floor = self.policy.rank(facts.policy.high_risk_at)
        high = sorted(f for f, level in evaluation.levels.items() if self.policy.rank(level) >= floor)
        if high:
            facts.enqueue(
                uow,
                incident["id"],
                "high_risk",
                {"assessment_version": version, "factors": high},
                actor.username,
                now,
            )

    def _review_items(
        self,
        uow: SqlUnitOfWork,
        incident: dict[str, Any],
        version: int,
        evaluation: Evaluation,
        submission: Submission,
        suggestions: tuple[Suggestion, ...],
        actor: Actor,
        now: datetime,
    ) -> None:
        base = {
            "incident_id": incident["id"],
            "status": "open",
            "created_by": actor.username,
            "created_at": now,
        }
        if evaluation.downgrade:
            uow.assessments.add_review_item(
                base
                | {
                    "kind": "downgrade",
                    "detail": {
                        "assessment_version": version,
                        "proposed": evaluation.proposed.grade,
                        "chosen": evaluation.final_grade,
                        "reason": submission.override_reason,
                        "lowered_from": evaluation.lowered_from,
                        "current": incident["grade"],
                    },
                }
            )
            uow.journal.event(
                now,
                actor.username,
                "review.downgrade_requested",
                {
                    "proposed": evaluation.proposed.grade,
                    "chosen": evaluation.final_grade,
                    "lowered_from": evaluation.lowered_from,
                },
                incident["id"],
            )
        if suggestions:
            uow.assessments.add_review_item(
                base
                | {
                    "kind": "categorisation_cue",
                    "detail": {
                        "assessment_version": version,
                        "suggestions": [asdict(s) for s in suggestions],
                    },
                }
            )

    def record_dash(
        self, actor: Actor, reference: str, submission: DashSubmission, now: datetime
    ) -> DashResult:
        require(actor.role, Permission.ASSESS_INCIDENT)
        result = score_dash(submission, self.policy)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference, for_update=True)
            row = {
                "incident_id": incident["id"],
                "policy_version": self.policy.version,
                "answers": dict(submission.answers),
                "comments": dict(submission.comments),
                "yes_count": result.yes_count,
                "score_level": result.score_level,
                "level": result.level,
                "basis": result.basis,
                "override_reason": submission.override_reason if result.basis != "score" else None,
                "marac_referral": result.marac_referral,
                "created_by": actor.username,
                "created_at": now,
            }
            row["id"] = uow.assessments.add_dash(row)
            uow.journal.event(
                now,
                actor.username,
                "incident.dash_recorded",
                {
                    "level": result.level,
                    "yes_count": result.yes_count,
                    "basis": result.basis,
                    "marac_referral": result.marac_referral,
                }
                | seal_note("dash_assessments", row),
                incident["id"],
            )
            uow.journal.audit(
                now,
                actor.username,
                Operation.COLLECTION,
                "incident",
                reference,
                "DASH risk identification",
                {"level": result.level},
            )
            uow.commit()
        return result

    def history(
        self, actor: Actor, reference: str, now: datetime
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every assessment and DASH record of the incident; the reading is audited."""
        require(actor.role, Permission.VIEW_INCIDENT)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference)
            found = uow.assessments.history(incident["id"]), uow.assessments.dash_history(incident["id"])
            consulted(uow, actor, incident["reference"], now, "assessments")
            uow.commit()
        return found

    def aide_memoire(self, category: str) -> dict[str, Any] | None:
        self.categories.require_category(category, "category")
        with self._uow() as uow:
            return uow.assessments.aide_memoire(category)

    def set_aide_memoire(self, actor: Actor, category: str, text: str, now: datetime) -> int:
        require(actor.role, Permission.MANAGE_AIDE_MEMOIRES)
        self.categories.require_category(category, "category")
        text = text.strip()
        if not text or len(text) > MAX_AIDE_MEMOIRE:
            raise DomainError(f"must be 1 to {MAX_AIDE_MEMOIRE} characters", "text")
        with self._uow(write=True) as uow:
            version = uow.assessments.add_aide_memoire(category, text, actor.username, now)
            uow.journal.event(
                now, actor.username, "policy.aide_memoire_changed", {"category": category, "version": version}
            )
            uow.commit()
        return version


def _assessment_row(
    incident: dict[str, Any],
    version: int,
    submission: Submission,
    evaluation: Evaluation,
    suggestions: tuple[Suggestion, ...],
    linked: tuple[str, ...],
    policy: AssessmentPolicy,
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    recorded = asdict(submission)
    recorded["indicators"] = sorted(submission.indicators)
    recorded["call_states"] = sorted(submission.call_states)
    recorded["linked_incidents"] = list(linked)
    return {
        "incident_id": incident["id"],
        "version": version,
        "model": evaluation.model,
        "policy_version": policy.version,
        "submission": recorded,
        "levels": evaluation.levels,
        "raised": [asdict(r) for r in evaluation.raised],
        "indicators": sorted(evaluation.indicators),
        "question_sets": list(evaluation.question_sets),
        "proposed_grade": evaluation.proposed.grade,
        "reasons": [
            {"rule": r.rule, "fact": r.fact, "response": r.response.name.lower()}
            for r in evaluation.proposed.reasons
        ],
        "final_grade": evaluation.final_grade,
        "override_reason": submission.override_reason,
        "downgrade": evaluation.downgrade,
        "suggestions": [asdict(s) for s in suggestions],
        "created_by": actor.username,
        "created_at": now,
    }
