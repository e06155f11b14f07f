from datetime import UTC, datetime, timedelta

import pytest

from thriives.domain.errors import DomainError
from thriives.domain.incidents import (
    TRANSITIONS,
    Channel,
    Contact,
    Status,
    find_transition,
    normalise_phone,
    require_reason,
    validate_contact,
)
from thriives.policy.loading import load_category_policy

NOW = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
POLICY = load_category_policy()


def contact(**changes: object) -> Contact:
    values: dict[str, object] = {
        "channel": Channel.EMERGENCY,
        "received_at": NOW,
        "opening_category": "domestic_incident",
    }
    values.update(changes)
    return Contact(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "target", "name", "needs_reason"),
    [
        (Status.OPEN, Status.GRADED, "grade", False),
        (Status.GRADED, Status.DISPATCHED, "dispatch", False),
        (Status.DISPATCHED, Status.AT_SCENE, "arrive", False),
        (Status.DISPATCHED, Status.GRADED, "withdraw", True),
        (Status.AT_SCENE, Status.CLOSED, "close", True),
        (Status.CLOSED, Status.OPEN, "reopen", True),
    ],
)
def test_allowed_transitions_are_found_with_their_rules(source, target, name, needs_reason) -> None:
    transition = find_transition(source, target)
    assert (transition.name, transition.needs_reason) == (name, needs_reason)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (Status.OPEN, Status.AT_SCENE),
        (Status.OPEN, Status.DISPATCHED),
        (Status.CLOSED, Status.GRADED),
        (Status.GRADED, Status.OPEN),
        (Status.OPEN, Status.OPEN),
    ],
)
def test_other_transitions_are_refused_naming_what_is_allowed(source, target) -> None:
    with pytest.raises(DomainError) as refused:
        find_transition(source, target)
    assert refused.value.field == "status"
    assert "allowed" in refused.value.message


def test_every_live_status_can_reach_closed() -> None:
    for status in Status:
        if status is not Status.CLOSED:
            assert find_transition(status, Status.CLOSED).needs_reason


def test_the_transition_table_has_no_duplicates() -> None:
    pairs = [(t.source, t.target) for t in TRANSITIONS]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 7700 900123", "07700900123"),
        ("07700-900123", "07700900123"),
        ("(01632) 960 001", "01632960001"),
        ("0044 7700 900123", "07700900123"),
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12", "0770090012345678", "07700 9OO123", "call me"])
def test_bad_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(DomainError) as refused:
        normalise_phone(raw)
    assert refused.value.field == "caller_phone"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"received_at": datetime(2026, 11, 26, 22, 0)}, "received_at"),
        ({"received_at": NOW + timedelta(hours=1)}, "received_at"),
        ({"opening_category": "nonsense"}, "opening_category"),
        ({"qualifiers": ("domestic", "nope")}, "qualifiers.1"),
        ({"opening_category": "asb_noise"}, "asb_qualifier"),
        ({"asb_qualifier": "personal"}, "asb_qualifier"),
        ({"postcode": "ZZZ"}, "postcode"),
        ({"latitude": 52.0}, "latitude"),
        ({"latitude": 40.0, "longitude": 0.0}, "latitude"),
        ({"latitude": 52.0, "longitude": 20.0}, "longitude"),
        ({"caller_name": "n" * 201}, "caller_name"),
        ({"account": "a" * 20_001}, "account"),
    ],
)
def test_a_bad_contact_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        validate_contact(contact(**changes), POLICY, NOW)
    assert refused.value.field == field


def test_a_good_contact_is_normalised_but_the_account_kept_verbatim() -> None:
    account = "  He said: 'I'll kill you'.\n  Then the line went dead.  "
    checked = validate_contact(
        contact(
            postcode="th4 7qx",
            caller_name="  Ada Quill ",
            qualifiers=("domestic", "domestic"),
            account=account,
            caller_phone="+447700900123",
        ),
        POLICY,
        NOW,
    )
    assert checked.postcode == "TH4 7QX"
    assert checked.caller_name == "Ada Quill"
    assert checked.qualifiers == ("domestic",)
    assert checked.account == account
    assert checked.caller_phone == "07700900123"


def test_an_asb_contact_needs_and_keeps_its_asb_qualifier() -> None:
    checked = validate_contact(contact(opening_category="asb_noise", asb_qualifier="nuisance"), POLICY, NOW)
    assert checked.asb_qualifier == "nuisance"


def test_a_reason_is_required_only_when_the_rule_says_so() -> None:
    assert require_reason(None, False) is None
    assert require_reason("  duplicate of TH-1  ", True) == "duplicate of TH-1"
    with pytest.raises(DomainError):
        require_reason("   ", True)
