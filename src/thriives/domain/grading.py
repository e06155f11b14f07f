"""Grading: the response an incident needs, as a pure function of its assessment.

Resource availability is not an input, by construction: nothing here can see units,
queues or how busy the force is (an architecture test checks the imports). The grade is the
most urgent response any rule calls for, so adding a risk indicator or raising a factor
can never lower it. Every rule that fired is returned with the fact that fired it.

Rules, in the order they are checked:
1. National definitions (REFERENCE 2.1): each recorded indicator with a national floor.
2. Domestic abuse (REFERENCE 2.4, 4.1): an immediate response unless the handler records
   that the risk indicators point the other way (then priority; a lower grade is a
   downgrade); a call cut off mid-call is regraded upward at once; a silent or abandoned
   999 call from a number linked to domestic abuse is an emergency.
3. The force's factor-level rules (policy data), e.g. risk high means emergency.
4. A baseline: resolution without deployment when every factor is rated and at or below
   the policy's low mark, otherwise scheduled. A factor not yet rated is unknown, and
   unknown is not low: it never lets the baseline fall to resolution.
5. While the assessment is provisional (not every factor rated yet), the proposal never
   falls below a grade already given (the initial grade or the current grade).
"""

from __future__ import annotations

from dataclasses import dataclass

from thriives.domain.assessment_policy import AssessmentPolicy, LevelRule
from thriives.domain.indicators import INDICATORS, Response, floor_of


@dataclass(frozen=True)
class GradingInput:
    category: str
    qualifiers: frozenset[str]
    channel: str
    indicators: frozenset[str]
    levels: dict[str, str]  # effective factor levels
    call_states: frozenset[str] = frozenset()
    phone_linked_to_da: bool = False
    da_not_immediate: bool = False  # the handler recorded why DA risk indicators point away
    unrated: frozenset[str] = frozenset()  # factors not yet rated (absent from ``levels``)
    provisional: bool = False  # the assessment is not complete yet
    given: tuple[tuple[str, str], ...] = ()  # grades already given: (which, grade code)


@dataclass(frozen=True)
class Reason:
    rule: str
    fact: str
    response: Response


@dataclass(frozen=True)
class Grading:
    response: Response
    grade: str
    reasons: tuple[Reason, ...]  # most urgent first; those at ``response`` decided it

    @property
    def deciding(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.response is self.response)


def is_domestic_abuse(category: str, qualifiers: frozenset[str], policy: AssessmentPolicy) -> bool:
    return category in policy.da_categories or bool(qualifiers & set(policy.da_qualifiers))


def grade(facts: GradingInput, policy: AssessmentPolicy) -> Grading:
    reasons = [
        *_national(facts),
        *_domestic_abuse(facts, policy),
        *_level_rules(facts, policy),
        *_already_given(facts, policy),
        _baseline(facts, policy),
    ]
    reasons.sort(key=lambda r: (-r.response, r.rule))
    response = reasons[0].response
    return Grading(response, policy.grade_for(response).code, tuple(reasons))


def _national(facts: GradingInput) -> list[Reason]:
    found = []
    for indicator in sorted(facts.indicators):
        floor = floor_of(indicator)
        if floor is not None:
            found.append(Reason(f"national.{indicator}", INDICATORS[indicator], floor))
    return found


def _domestic_abuse(facts: GradingInput, policy: AssessmentPolicy) -> list[Reason]:
    found = []
    silent = facts.call_states & {"silent", "abandoned"}
    if facts.channel == "999" and silent and facts.phone_linked_to_da:
        found.append(
            Reason(
                "da.silent_call_from_linked_number",
                f"{'/'.join(sorted(silent))} 999 call from a number linked to domestic abuse",
                Response.EMERGENCY,
            )
        )
    if not is_domestic_abuse(facts.category, facts.qualifiers, policy):
        return found
    if "cut_off" in facts.call_states:
        found.append(
            Reason(
                "da.call_cut_off", "domestic abuse call cut off mid-call: regrade upward", Response.EMERGENCY
            )
        )
    if facts.da_not_immediate:
        found.append(
            Reason(
                "da.assessed_not_immediate",
                "domestic abuse; handler recorded that the risk indicators do not call "
                "for an immediate response",
                Response.PRIORITY,
            )
        )
    else:
        found.append(
            Reason(
                "da.immediate_by_default",
                "domestic abuse: an immediate response unless risk indicators say otherwise",
                Response.EMERGENCY,
            )
        )
    return found


def _level_rules(facts: GradingInput, policy: AssessmentPolicy) -> list[Reason]:
    return [
        Reason(f"level.{rule.code}", _describe(rule, facts), rule.response)
        for rule in policy.level_rules
        if _holds(rule, facts, policy)
    ]


def _holds(rule: LevelRule, facts: GradingInput, policy: AssessmentPolicy) -> bool:
    for factor, level in rule.at_least.items():
        least = policy.rank(level)
        if factor == "any":
            if not any(policy.rank(v) >= least for v in facts.levels.values()):
                return False
        elif policy.rank(facts.levels.get(factor, policy.levels[0])) < least:
            return False
    return True


def _describe(rule: LevelRule, facts: GradingInput) -> str:
    parts = []
    for factor, level in rule.at_least.items():
        if factor == "any":
            parts.append(f"a factor at {level} or above")
        else:
            parts.append(f"{factor} {facts.levels.get(factor, 'unrated')} (at least {level})")
    return "; ".join(parts)


def _already_given(facts: GradingInput, policy: AssessmentPolicy) -> list[Reason]:
    if not facts.provisional:
        return []
    found = []
    for which, code in facts.given:
        given = policy.grade(code)
        if given is not None:
            found.append(
                Reason(
                    "provisional.grade_given",
                    f"the assessment is not complete: not below the {which} already given ({given.name})",
                    given.response,
                )
            )
    return found


def _baseline(facts: GradingInput, policy: AssessmentPolicy) -> Reason:
    if facts.unrated:
        count = len(facts.unrated)
        return Reason(
            "baseline.unrated",
            f"{count} factor{'s' if count != 1 else ''} not yet rated: unknown is not read as low",
            Response.SCHEDULED,
        )
    mark = policy.rank(policy.resolution_when_at_most)
    if all(policy.rank(level) <= mark for level in facts.levels.values()):
        return Reason(
            "baseline.low", f"every factor at {policy.resolution_when_at_most} or below", Response.RESOLUTION
        )
    return Reason(
        "baseline.some_risk", f"a factor above {policy.resolution_when_at_most}", Response.SCHEDULED
    )
