"""A THRIIVES (or THRIVE) assessment: what the handler recorded, checked and evaluated.

``evaluate`` is the whole decision for one submission, pure and explained:
1. Check the submission against the policy (every field at fault is named).
2. Work out which question sets apply to the category and qualifiers.
3. Derive indicators and least factor levels from the answers; a factor the handler rated
   lower than an answer implies is raised, and the raise is recorded with its cause.
4. Grade from the effective levels and indicators (``grading.grade``).
5. Compare the handler's chosen grade with the proposal and with the incident's current
   grade (an initial grade or an earlier assessment's): anything less urgent than either
   is a downgrade and needs a reason (it goes to a supervisor).

A ``lenient`` evaluation (the live preview) accepts factors not yet rated: they are shown
as unrated, never read as low, and the proposal is provisional: it cannot fall below a
grade already given.
6. List the safeguarding advice due, and which was not given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from thriives.domain.assessment_policy import AssessmentPolicy, Model
from thriives.domain.errors import DomainError
from thriives.domain.grading import Grading, GradingInput, grade, is_domestic_abuse
from thriives.domain.indicators import CALL_STATES, INDICATORS, Response

MAX_TEXT = 2000


@dataclass(frozen=True)
class Rating:
    level: str
    rationale: str


@dataclass(frozen=True)
class AdviceRecord:
    given: bool
    note: str | None = None


@dataclass(frozen=True)
class Submission:
    model: str
    ratings: Mapping[str, Rating]
    answers: Mapping[str, str] = field(default_factory=dict)
    indicators: frozenset[str] = frozenset()
    call_states: frozenset[str] = frozenset()
    da_not_immediate_reason: str | None = None
    grade: str | None = None  # the grade the handler chose; None accepts the proposal
    override_reason: str | None = None
    advice: Mapping[str, AdviceRecord] = field(default_factory=dict)


@dataclass(frozen=True)
class CallFacts:
    """What the incident already says, what history says about the caller's number, and the
    least factor levels implied by markers on the people attached from a search."""

    category: str
    qualifiers: frozenset[str]
    channel: str
    phone_linked_to_da: bool = False
    intel_raises: tuple[Raise, ...] = ()
    current_grade: str | None = None  # the incident's grade now (initial or from an assessment)
    initial_grade: str | None = None  # the quick grade given at first contact, if any


@dataclass(frozen=True)
class Raise:
    factor: str
    level: str
    question: str
    answer: str


@dataclass(frozen=True)
class Evaluation:
    model: str
    levels: dict[str, str]
    raised: tuple[Raise, ...]
    indicators: frozenset[str]
    question_sets: tuple[str, ...]
    unanswered: tuple[str, ...]
    proposed: Grading
    final_grade: str
    downgrade: bool
    advice_due: tuple[str, ...]
    advice_not_given: tuple[str, ...]
    provisional: bool = False  # not every factor rated yet: the proposal is not final
    unrated: tuple[str, ...] = ()
    lowered_from: str | None = None  # the grade a downgrade is measured against


def applicable_sets(facts: CallFacts, policy: AssessmentPolicy) -> tuple[str, ...]:
    return tuple(
        code for code, s in policy.question_sets.items() if s.applies(facts.category, facts.qualifiers)
    )


def advice_due(facts: CallFacts, policy: AssessmentPolicy) -> tuple[str, ...]:
    return tuple(
        a.code
        for a in policy.advice
        if facts.category in a.categories or facts.qualifiers & set(a.qualifiers)
    )


def _text(value: str | None, name: str, required: bool) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise DomainError(f"is {len(text)} characters long; the most is {MAX_TEXT}", name)
    if required and not text:
        raise DomainError("a reason is required", name)
    return text or None


def check(submission: Submission, policy: AssessmentPolicy, lenient: bool = False) -> Model:
    """Refuse a submission that breaks the policy, naming the field; return its model.
    ``lenient`` lets factors go unrated and rationales wait (the live preview)."""
    model = policy.models.get(submission.model)
    if model is None:
        raise DomainError(f"{submission.model[:40]!r} is not a model in policy {policy.version}", "model")
    for code in submission.ratings:
        if model.factor(code) is None:
            raise DomainError(f"{code[:40]!r} is not a factor of {model.name}", f"ratings.{code[:40]}")
    for factor in model.factors:
        rating = submission.ratings.get(factor.code)
        if rating is None and lenient:
            continue
        if rating is None:
            raise DomainError(f"rate {factor.name}: a level and a rationale", f"ratings.{factor.code}")
        if rating.level not in policy.levels:
            raise DomainError(f"must be one of {', '.join(policy.levels)}", f"ratings.{factor.code}.level")
        _text(rating.rationale, f"ratings.{factor.code}.rationale", factor.rationale_required and not lenient)
    for question_id, answer in submission.answers.items():
        question = policy.questions.get(question_id)
        if question is None:
            raise DomainError(
                f"{question_id[:40]!r} is not a question in policy {policy.version}",
                f"answers.{question_id[:40]}",
            )
        if answer not in question.answers:
            raise DomainError(f"must be one of {', '.join(question.answers)}", f"answers.{question_id}")
    for indicator in submission.indicators:
        if indicator not in INDICATORS:
            raise DomainError(f"{indicator[:40]!r} is not a known indicator", "indicators")
    for state in submission.call_states:
        if state not in CALL_STATES:
            raise DomainError(f"{state[:40]!r} is not one of {', '.join(CALL_STATES)}", "call_states")
    if submission.grade is not None and policy.grade(submission.grade) is None:
        raise DomainError(f"{submission.grade[:40]!r} is not a grade in policy {policy.version}", "grade")
    _text(submission.override_reason, "override_reason", False)
    _text(submission.da_not_immediate_reason, "da_not_immediate_reason", False)
    known_advice = {a.code for a in policy.advice}
    for code, record in submission.advice.items():
        if code not in known_advice:
            raise DomainError(f"{code[:40]!r} is not an advice prompt", f"advice.{code[:40]}")
        _text(record.note, f"advice.{code}.note", not record.given)
    return model


def unknown_raises(question_id: str, policy: AssessmentPolicy) -> dict[str, str]:
    """What an "unknown" answer raises in any question set: each danger factor (policy
    ``unknown_answers``) that another answer to the question can raise to the top level is
    raised to the policy's level for the unknown, as the domestic-abuse set does."""
    if not policy.unknown_raises_to:
        return {}
    top = policy.levels[-1]
    return {
        factor: policy.unknown_raises_to
        for effect in policy.questions[question_id].effects
        if effect.when != "unknown"
        for factor, level in effect.raises.items()
        if level == top and factor in policy.unknown_raises
    }


def _effects(
    question_id: str, answer: str, policy: AssessmentPolicy
) -> list[tuple[frozenset[str], dict[str, str]]]:
    found = [
        (frozenset(e.indicators), dict(e.raises))
        for e in policy.questions[question_id].effects
        if e.when == answer
    ]
    if answer == "unknown":
        found.append((frozenset(), unknown_raises(question_id, policy)))
    return found


def evaluate(
    submission: Submission, facts: CallFacts, policy: AssessmentPolicy, lenient: bool = False
) -> Evaluation:
    model = check(submission, policy, lenient)
    sets = applicable_sets(facts, policy)
    indicators = set(submission.indicators)
    factors = {f.code for f in model.factors}
    least: dict[str, tuple[str | None, Raise | None]] = {
        f.code: (submission.ratings[f.code].level if f.code in submission.ratings else None, None)
        for f in model.factors
    }

    def lift(factor: str, level: str, cause: Raise) -> None:
        if factor not in factors:  # a factor of the other model (THRIVE has fewer)
            return
        current = least[factor][0]
        if current is None or policy.rank(level) > policy.rank(current):
            least[factor] = (level, cause)

    for question_id, answer in sorted(submission.answers.items()):
        for implied_indicators, raises in _effects(question_id, answer, policy):
            indicators.update(implied_indicators)
            for factor, level in raises.items():
                lift(factor, level, Raise(factor, level, question_id, answer))
    for implied in facts.intel_raises:  # markers on attached people (intelligence, vulnerability)
        lift(implied.factor, implied.level, implied)
    raised: list[Raise] = []
    for factor, (lifted, cause) in least.items():
        rated = submission.ratings.get(factor)
        if cause is not None and (rated is None or policy.rank(str(lifted)) > policy.rank(rated.level)):
            raised.append(cause)
    levels = {factor: level for factor, (level, _) in least.items() if level is not None}
    unrated = tuple(f.code for f in model.factors if f.code not in levels)
    provisional = lenient and any(f.code not in submission.ratings for f in model.factors)
    given = tuple(
        (which, code)
        for which, code in (("initial grade", facts.initial_grade), ("current grade", facts.current_grade))
        if code
    )
    is_da = is_domestic_abuse(facts.category, facts.qualifiers, policy)
    proposed = grade(
        GradingInput(
            category=facts.category,
            qualifiers=facts.qualifiers,
            channel=facts.channel,
            indicators=frozenset(indicators),
            levels=levels,
            call_states=submission.call_states,
            phone_linked_to_da=facts.phone_linked_to_da,
            da_not_immediate=is_da and bool((submission.da_not_immediate_reason or "").strip()),
            unrated=frozenset(unrated),
            provisional=provisional,
            given=given,
        ),
        policy,
    )
    final = submission.grade or proposed.grade
    final_grade = policy.grade(final)
    assert final_grade is not None  # checked above
    lowered_from = _lowered_from(final_grade.response, proposed.grade, facts.current_grade, policy)
    downgrade = lowered_from is not None
    if downgrade and not lenient:  # the preview shows the downgrade; the save needs the reason
        _text(submission.override_reason, "override_reason", True)
    due = advice_due(facts, policy)
    missing = [code for code in due if code not in submission.advice]
    if missing and not lenient:
        raise DomainError("record whether this advice was given", f"advice.{missing[0]}")
    answered = set(submission.answers)
    unanswered = tuple(
        q.id for code in sets for q in policy.question_sets[code].questions if q.id not in answered
    )
    return Evaluation(
        model=model.code,
        levels=levels,
        raised=tuple(raised),
        indicators=frozenset(indicators),
        question_sets=sets,
        unanswered=unanswered,
        proposed=proposed,
        final_grade=final,
        downgrade=downgrade,
        advice_due=due,
        advice_not_given=tuple(
            code for code in due if code in submission.advice and not submission.advice[code].given
        ),
        provisional=provisional,
        unrated=unrated,
        lowered_from=lowered_from,
    )


def _lowered_from(
    final: Response, proposed: str, current: str | None, policy: AssessmentPolicy
) -> str | None:
    """The grade the chosen one is less urgent than: the current grade first (lowering what
    the incident already has), else the proposal; None when it is no downgrade."""
    for code in (current, proposed):
        grade = policy.grade(code) if code else None
        if grade is not None and final < grade.response:
            return grade.code
    return None
