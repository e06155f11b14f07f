from datetime import UTC, datetime, timedelta

import pytest

from thriives.domain.accounts import (
    LockoutPolicy,
    Permission,
    Role,
    after_failed_login,
    can,
    check_new_account,
    is_idle_expired,
    is_locked,
)
from thriives.domain.errors import DomainError

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
POLICY = LockoutPolicy(max_failures=3, lock_for=timedelta(minutes=15))


def test_the_account_locks_on_the_last_allowed_failure_and_unlocks_later() -> None:
    failures, locked = after_failed_login(0, NOW, POLICY)
    assert (failures, locked) == (1, None)
    failures, locked = after_failed_login(2, NOW, POLICY)
    assert locked == NOW + timedelta(minutes=15)
    assert is_locked(locked, NOW + timedelta(minutes=14))
    assert not is_locked(locked, NOW + timedelta(minutes=15))


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
        check_new_account(username, password)
    assert refused.value.field == field
