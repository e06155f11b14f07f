"""A THRIIVES (or THRIVE) assessment: what the handler recorded, checked and evaluated.

``evaluate`` is the whole decision for one submission, pure and explained:
1. Check the submission against the policy (every field at fault is named).
2. Work out which question sets apply to the category and qualifiers.
3. Derive indicators and least factor levels from the answers; a factor the handler rated
   lower than an answer implies is raised, and the raise is recorded with its cause.
4. Grade from the effective levels and indicators (``grading.grade``).
5. Compare the handler's chosen grade with the proposal: choosing a less urgent grade is
   a downgrade and needs a reason (it goes to a supervisor).
6. List the safeguarding advice due, and which was not given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from thriives.domain.assessment_policy import AssessmentPolicy, Model
from thriives.domain.errors import DomainError
from thriives.domain.grading import Grading, GradingInput, grade, is_domestic_abuse
from thriives.domain.indicators import CALL_STATES, INDICATORS

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


def check(submission: Submission, policy: AssessmentPolicy) -> Model:
    """Refuse a submission that breaks the policy, naming the field; return its model."""
    model = policy.models.get(submission.model)
    if model is None:
        raise DomainError(f"{submission.model[:40]!r} is not a model in policy {policy.version}", "model")
    for code in submission.ratings:
        if model.factor(code) is None:
            raise DomainError(f"{code[:40]!r} is not a factor of {model.name}", f"ratings.{code[:40]}")
    for factor in model.factors:
        rating = submission.ratings.get(factor.code)
        if rating is None:
            raise DomainError(f"rate {factor.name}: a level and a rationale", f"ratings.{factor.code}")
        if rating.level not in policy.levels:
            raise DomainError(f"must be one of {', '.join(policy.levels)}", f"ratings.{factor.code}.level")
        _text(rating.rationale, f"ratings.{factor.code}.rationale", factor.rationale_required)
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


def evaluate(submission: Submission, facts: CallFacts, policy: AssessmentPolicy) -> Evaluation:
    model = check(submission, policy)
    sets = applicable_sets(facts, policy)
    indicators = set(submission.indicators)
    least: dict[str, tuple[str, Raise | None]] = {
        f.code: (submission.ratings[f.code].level, None) for f in model.factors
    }
    raised: list[Raise] = []
    for question_id, answer in sorted(submission.answers.items()):
        for effect in policy.questions[question_id].effects:
            if effect.when != answer:
                continue
            indicators.update(effect.indicators)
            for factor, level in effect.raises.items():
                if factor in least and policy.rank(level) > policy.rank(least[factor][0]):
                    least[factor] = (level, Raise(factor, level, question_id, answer))
    for implied in facts.intel_raises:  # markers on attached people (intelligence, vulnerability)
        if implied.factor in least and policy.rank(implied.level) > policy.rank(least[implied.factor][0]):
            least[implied.factor] = (implied.level, implied)
    for factor, (level, cause) in least.items():
        if cause is not None and policy.rank(level) > policy.rank(submission.ratings[factor].level):
            raised.append(cause)
    levels = {factor: level for factor, (level, _) in least.items()}
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
        ),
        policy,
    )
    final = submission.grade or proposed.grade
    final_grade = policy.grade(final)
    assert final_grade is not None  # checked above
    downgrade = final_grade.response < proposed.response
    if downgrade:
        _text(submission.override_reason, "override_reason", True)
    due = advice_due(facts, policy)
    missing = [code for code in due if code not in submission.advice]
    if missing:
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
        advice_not_given=tuple(code for code in due if not submission.advice[code].given),
    )
