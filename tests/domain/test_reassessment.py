"""Delayed-attendance reassessment: who must be fully reassessed, and what finishes a task."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.domain.test_assessment_policy import small_policy
from tests.domain.test_dispatch_policy import small_dispatch_policy
from thriives.domain.errors import DomainError
from thriives.domain.reassessment import MAX_NOTE, Completion, check_completion, is_mandatory

ASSESSMENT = small_policy()
POLICY = small_dispatch_policy()  # mandatory for DA, and for vulnerability medium or above
OPENED = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)
REASSESSED = (3, OPENED + timedelta(minutes=2))  # version 3, made after the task opened


# --- who must be reassessed in full ---------------------------------------------------------

MANDATORY = [
    # (domestic abuse, levels, mandatory, why)
    (True, {}, True, "domestic abuse"),
    (True, {"vulnerability": "none"}, True, "domestic abuse"),
    (False, {"vulnerability": "medium"}, True, "vulnerability medium"),
    (False, {"vulnerability": "high", "risk": "none"}, True, "vulnerability high"),
    (False, {"vulnerability": "low", "risk": "high"}, False, None),
    (False, {"risk": "high"}, False, None),
    (False, {}, False, None),
    (False, {"vulnerability": "severe"}, False, None),  # not a level: never a reason
]


@pytest.mark.parametrize(("da", "levels", "mandatory", "why"), MANDATORY)
def test_domestic_abuse_and_vulnerable_victims_are_mandatory(
    da: bool, levels: dict[str, str], mandatory: bool, why: str | None
) -> None:
    found, reason = is_mandatory(da, levels, POLICY, ASSESSMENT)
    assert found is mandatory
    if why is not None:
        assert reason == why
    else:
        assert "below the mandatory level" in reason


def test_domestic_abuse_is_not_mandatory_where_the_policy_says_not() -> None:
    policy = dataclasses.replace(POLICY, mandatory_for_domestic_abuse=False)
    assert is_mandatory(True, {"vulnerability": "low"}, policy, ASSESSMENT)[0] is False
    assert is_mandatory(True, {"vulnerability": "medium"}, policy, ASSESSMENT) == (
        True,
        "vulnerability medium",
    )


def test_without_a_vulnerability_floor_only_domestic_abuse_is_mandatory() -> None:
    policy = dataclasses.replace(POLICY, mandatory_vulnerability=None)
    assert is_mandatory(False, {"vulnerability": "high"}, policy, ASSESSMENT)[0] is False
    assert is_mandatory(True, {}, policy, ASSESSMENT)[0] is True


# --- what finishes a task -------------------------------------------------------------------


def done(**changes: Any) -> Completion:
    """A full record: contact, a THRIIVES re-run, safeguarding and a review time."""
    values: dict[str, Any] = {
        "contact_outcome": "spoke_to_victim",
        "contact_note": "safe at her sister's",
        "safeguarding": ("advice",),
        "safeguarding_note": None,
        "review_at": OPENED + timedelta(hours=1),
        "reassessed_version": 3,
    }
    values.update(changes)
    return Completion(**values)


def check(
    completion: Completion, mandatory: bool, latest: tuple[int, datetime] | None = REASSESSED
) -> list[str]:
    return check_completion(completion, mandatory, OPENED, latest, POLICY)


def refused_field(
    completion: Completion, mandatory: bool, latest: tuple[int, datetime] | None = REASSESSED
) -> str:
    with pytest.raises(DomainError) as refused:
        check(completion, mandatory, latest)
    assert refused.value.field is not None
    return refused.value.field


def test_a_full_record_completes_a_mandatory_task_with_its_reasons() -> None:
    assert check(done(), mandatory=True) == [
        "contact: Spoke to the victim",
        "THRIIVES re-run: version 3",
        "safeguarding: Safety advice given",
    ]


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ({"reassessed_version": None}, "reassessed_version"),
        ({"safeguarding": ()}, "safeguarding"),
        ({"review_at": None}, "review_at"),
    ],
)
def test_a_mandatory_task_needs_every_part(missing: dict[str, Any], field: str) -> None:
    assert refused_field(done(**missing), mandatory=True) == field


def test_a_task_that_is_not_mandatory_needs_only_the_contact_outcome() -> None:
    minimal = done(reassessed_version=None, safeguarding=(), review_at=None, contact_note=None)
    assert check(minimal, mandatory=False, latest=None) == ["contact: Spoke to the victim"]


@pytest.mark.parametrize("mandatory", [True, False])
@pytest.mark.parametrize("outcome", [None, ""])
def test_every_task_needs_the_outcome_of_the_attempt_to_contact(mandatory: bool, outcome: str | None) -> None:
    assert refused_field(done(contact_outcome=outcome), mandatory) == "contact_outcome"


def test_a_contact_outcome_the_policy_does_not_know_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        check(done(contact_outcome="emailed"), mandatory=False)
    assert refused.value.field == "contact_outcome"
    assert refused.value.message == "must be one of spoke_to_victim, no_answer"


def test_a_safeguarding_action_the_policy_does_not_know_is_refused_by_position() -> None:
    assert refused_field(done(safeguarding=("advice", "hugs")), mandatory=False) == "safeguarding.1"


def test_no_action_needed_must_say_why() -> None:
    assert refused_field(done(safeguarding=("no_action_needed",)), mandatory=True) == "safeguarding_note"
    assert refused_field(done(safeguarding=("no_action_needed",), safeguarding_note="  "), True) == (
        "safeguarding_note"
    )
    reasons = check(done(safeguarding=("no_action_needed",), safeguarding_note="he has left the area"), True)
    assert reasons[-1] == "safeguarding: No further action needed"


@pytest.mark.parametrize("field", ["contact_note", "safeguarding_note"])
def test_a_note_over_the_limit_is_refused(field: str) -> None:
    assert refused_field(done(**{field: "x" * (MAX_NOTE + 1)}), mandatory=False) == field
    check(done(**{field: "x" * MAX_NOTE}), mandatory=False)


@pytest.mark.parametrize("mandatory", [True, False])
def test_the_reassessment_given_must_be_the_latest(mandatory: bool) -> None:
    assert refused_field(done(reassessed_version=2), mandatory) == "reassessed_version"
    assert refused_field(done(), mandatory, latest=None) == "reassessed_version"


@pytest.mark.parametrize("mandatory", [True, False])
def test_the_reassessment_given_must_be_made_since_the_task_opened(mandatory: bool) -> None:
    stale = (3, OPENED - timedelta(seconds=1))
    assert refused_field(done(), mandatory, latest=stale) == "reassessed_version"
    check(done(), mandatory, latest=(3, OPENED))  # made the moment it opened counts


def test_a_task_that_is_not_mandatory_may_still_record_a_full_reassessment() -> None:
    assert check(done(), mandatory=False) == [
        "contact: Spoke to the victim",
        "THRIIVES re-run: version 3",
        "safeguarding: Safety advice given",
    ]
