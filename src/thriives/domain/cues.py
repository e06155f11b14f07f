"""Categorisation help: cues in the caller's words that suggest what the handler has not chosen.

A cue never changes the category or qualifiers: it is shown to the handler and recorded
for review. Only cues that suggest something not already chosen are returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from thriives.domain.assessment_policy import AssessmentPolicy


@dataclass(frozen=True)
class Suggestion:
    cue: str
    label: str
    matched: str  # the words in the account that fired it
    qualifiers: tuple[str, ...]  # suggested and not chosen
    question_sets: tuple[str, ...]  # suggested and not already applying


def suggest(
    account: str, category: str, qualifiers: frozenset[str], policy: AssessmentPolicy
) -> tuple[Suggestion, ...]:
    applying = {code for code, s in policy.question_sets.items() if s.applies(category, qualifiers)}
    found = []
    for cue in policy.cues:
        match = next((m for p in cue.patterns if (m := p.search(account))), None)
        if match is None:
            continue
        missing_q = tuple(q for q in cue.qualifiers if q not in qualifiers)
        missing_s = tuple(s for s in cue.question_sets if s not in applying)
        if missing_q or missing_s:
            found.append(Suggestion(cue.code, cue.label, match.group(0), missing_q, missing_s))
    return tuple(found)
