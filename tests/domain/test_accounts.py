from datetime import UTC, datetime, timedelta

import pytest

from thriives.domain.accounts import (
    MAX_PASSWORD,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    can,
    check_new_account,
    check_password,
    is_idle_expired,
)
from thriives.domain.errors import DomainError
from thriives.domain.login_throttle import Backoff, Throttle, after_failure, current, wait_left

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
BACKOFF = Backoff(free_failures=3, first_wait=timedelta(seconds=2), longest_wait=timedelta(seconds=60))


def never_common(_password: str) -> bool:
    return False


def test_failures_past_the_free_ones_wait_twice_as_long_each_time_up_to_the_ceiling() -> None:
    throttle = Throttle()
    waits = []
    for _ in range(10):
        throttle = after_failure(throttle, NOW, BACKOFF)
        waits.append(wait_left(throttle, NOW).total_seconds())
    assert waits == [0, 0, 0, 2, 4, 8, 16, 32, 60, 60]
    assert wait_left(throttle, NOW + timedelta(seconds=60)) == timedelta(0)


def test_a_quiet_spell_forgets_the_count() -> None:
    throttle = Throttle(9, NOW + timedelta(seconds=60), NOW)
    assert current(throttle, NOW + BACKOFF.forget_after, BACKOFF) == Throttle()
    assert current(throttle, NOW + timedelta(seconds=61), BACKOFF).failures == 9


def test_an_idle_session_expires_at_the_timeout() -> None:
    assert not is_idle_expired(NOW, NOW + timedelta(minutes=29), timedelta(minutes=30))
    assert is_idle_expired(NOW, NOW + timedelta(minutes=30), timedelta(minutes=30))


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.CALL_HANDLER, Permission.OPEN_INCIDENT, True),
        (Role.DISPATCHER, Permission.VIEW_QUEUE, True),
        (Role.ANALYST, Permission.OPEN_INCIDENT, False),
        (Role.ANALYST, Permission.VIEW_INCIDENT, False),
        (Role.CALL_HANDLER, Permission.REOPEN_INCIDENT, False),
        (Role.SUPERVISOR, Permission.REOPEN_INCIDENT, True),
        (Role.ADMIN, Permission.OPEN_INCIDENT, False),
    ],
)
def test_roles_grant_what_the_role_needs(role: Role, permission: Permission, allowed: bool) -> None:
    assert can(role, permission) is allowed


def test_every_role_has_permissions() -> None:
    assert all(any(can(role, p) for p in Permission) for role in Role)


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("A", "long-enough-pass", "username"),
        ("ok.user", "short", "password"),
        ("has space", "long-enough-pass", "username"),
    ],
)
def test_new_accounts_are_checked(username: str, password: str, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_new_account(username, password, never_common)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short", "at least 10"),
        ("x" * (MAX_PASSWORD - 2) + "yz!", "at most 128"),
        ("ok.user", "at least 10"),
        ("my-ok.user-pass", "username"),
        ("OK.USER-and-more", "username"),
        ("aaaaaaaaaaaa", "too few different"),
        ("ababababababab", "too few different"),
        ("listed-password", "common or breached"),
    ],
)
def test_passwords_follow_nist_800_63b(password: str, why: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_password("ok.user", password, lambda p: p == "listed-password")
    assert refused.value.field == "password" and why in refused.value.message


def test_a_long_passphrase_up_to_the_maximum_is_accepted() -> None:
    check_password("ok.user", "correct horse battery staple " * 4 + "x" * (MAX_PASSWORD - 116), never_common)


def test_public_protection_reads_incidents_but_does_not_change_them() -> None:
    changes = {
        Permission.OPEN_INCIDENT,
        Permission.UPDATE_INCIDENT,
        Permission.CLOSE_INCIDENT,
        Permission.ASSESS_INCIDENT,
        Permission.DISPATCH,
        Permission.REASSESS,
    }
    assert Permission.VIEW_INCIDENT in ROLE_PERMISSIONS[Role.PUBLIC_PROTECTION]
    assert not changes & ROLE_PERMISSIONS[Role.PUBLIC_PROTECTION]
