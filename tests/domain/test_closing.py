"""The closing rules, table-driven: who may close what, and every reason in words."""

from __future__ import annotations

import pytest

from thriives.domain.accounts import Role
from thriives.domain.closing import ClosingFacts, closing_blockers

HANDLER, DISPATCHER, SUPERVISOR = Role.CALL_HANDLER, Role.DISPATCHER, Role.SUPERVISOR


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (ClosingFacts(HANDLER, emergency=False, attended=False), []),
        (ClosingFacts(HANDLER, emergency=True, attended=True), []),
        (
            ClosingFacts(HANDLER, emergency=True, attended=False),
            ["it is graded emergency and no unit has attended: only a supervisor may close it"],
        ),
        (ClosingFacts(SUPERVISOR, emergency=True, attended=False), []),
        (
            ClosingFacts(DISPATCHER, emergency=False, attended=False, open_reviews=("domestic_abuse",)),
            [
                "it is waiting for a domestic-abuse review: only a supervisor may close it before the review",
            ],
        ),
        (ClosingFacts(SUPERVISOR, emergency=False, attended=False, open_reviews=("domestic_abuse",)), []),
        (ClosingFacts(HANDLER, emergency=False, attended=False, open_reviews=("sample",)), []),
        (
            ClosingFacts(SUPERVISOR, emergency=False, attended=False, open_reviews=("downgrade",)),
            [
                "it has a downgrade waiting for a supervisor's approval: "
                "a supervisor must approve or reject it before closing"
            ],
        ),
        (
            ClosingFacts(HANDLER, emergency=False, attended=False, open_reviews=("something_new",)),
            ["it is waiting for a supervisor's review: only a supervisor may close it before the review"],
        ),
        (
            ClosingFacts(SUPERVISOR, emergency=False, attended=True, open_reassessment=7),
            [
                "reassessment task 7 is still open: "
                "complete it (contact the victim, re-run the assessment) before closing"
            ],
        ),
    ],
)
def test_each_rule_gives_its_reason(facts: ClosingFacts, expected: list[str]) -> None:
    assert closing_blockers(facts) == expected


def test_an_unattended_emergency_with_an_open_review_and_task_gives_every_reason() -> None:
    facts = ClosingFacts(
        HANDLER,
        emergency=True,
        attended=False,
        open_reviews=("high_risk", "attendance_breach"),
        open_reassessment=3,
    )
    reasons = closing_blockers(facts)
    assert len(reasons) == 3
    assert "a high-risk review and a review of a breached attendance target" in reasons[1]
    assert all("_" not in reason for reason in reasons)  # words, not codes
