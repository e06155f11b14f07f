"""Log-in on both stores: the same answer after the same work whatever the account's state,
backoff by source as well as by name, and passwords that can be set can be used."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import PASSWORD, FakeClock, People
from thriives.bootstrap import Container
from thriives.domain.accounts import MAX_PASSWORD, Actor, Role
from thriives.domain.errors import DomainError
from thriives.services.accounts import LoginRefused, PasswordChangeRequired


class CountingHasher:
    """Counts the password checks the service makes, passing each to the real hasher."""

    def __init__(self, container: Container) -> None:
        self.real = container.accounts._hasher
        self.verified = 0
        container.accounts._hasher = self  # type: ignore[assignment]

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return bool(self.real.verify(password_hash, password))

    def hash(self, password: str) -> str:
        return str(self.real.hash(password))


def refusal(container: Container, username: str, password: str, source: str) -> tuple[type, str, str | None]:
    with pytest.raises(LoginRefused) as refused:
        container.accounts.log_in(username, password, container.clock(), source)
    return type(refused.value), refused.value.message, refused.value.field


def test_unknown_disabled_throttled_and_wrong_password_answers_are_the_same_and_each_checks_a_hash(
    container: Container, people: People
) -> None:
    wrong, disabled, throttled = people(), people(), people()
    admin = people(Role.ADMIN)
    container.user_admin.disable(admin, disabled.username, "left the force", container.clock())
    for _ in range(container.settings.login_free_failures + 1):
        refusal(container, throttled.username, "not-the-password", "10.0.0.9")
    hasher = CountingHasher(container)
    cases: dict[str, Callable[[], tuple[type, str, str | None]]] = {
        "unknown": lambda: refusal(container, "nobody.here", PASSWORD, "10.0.0.1"),
        "disabled": lambda: refusal(container, disabled.username, PASSWORD, "10.0.0.2"),
        "throttled": lambda: refusal(container, throttled.username, PASSWORD, "10.0.0.3"),
        "wrong password": lambda: refusal(container, wrong.username, "not-the-password", "10.0.0.4"),
        "too long": lambda: refusal(container, wrong.username, "x" * (MAX_PASSWORD + 1), "10.0.0.5"),
        "a NUL in the name": lambda: refusal(container, wrong.username + "\x00", PASSWORD, "10.0.0.6"),
    }
    answers = {}
    for name, attempt in cases.items():
        before = hasher.verified
        answers[name] = attempt()
        assert hasher.verified == before + 1, f"{name}: no password hash was checked"
    assert len(set(answers.values())) == 1, answers


def test_many_failures_from_one_source_make_it_wait_whatever_the_names(
    container: Container, people: People, clock: FakeClock
) -> None:
    actor = people()
    for number in range(container.settings.login_source_free_failures):
        refusal(container, f"guess{number}", PASSWORD, "192.0.2.7")
    with pytest.raises(LoginRefused) as refused:  # the next failure starts the source's wait
        container.accounts.log_in("guess.more", PASSWORD, clock(), "192.0.2.7")
    assert refused.value.retry_after == 2
    with pytest.raises(LoginRefused):  # a right password from that source waits too
        container.accounts.log_in(actor.username, PASSWORD, clock(), "192.0.2.7")
    assert container.accounts.log_in(actor.username, PASSWORD, clock(), "192.0.2.8")  # others go on
    clock.advance(seconds=2)
    assert container.accounts.log_in(actor.username, PASSWORD, clock(), "192.0.2.7")


def test_a_named_account_cannot_be_locked_out_for_long(
    container: Container, people: People, clock: FakeClock
) -> None:
    actor = people()
    for _ in range(50):  # an attacker hammering one name, waiting out each wait
        try:
            container.accounts.log_in(actor.username, "not-the-password", clock(), "203.0.113.1")
        except LoginRefused as refused:
            clock.advance(seconds=refused.retry_after or 0)
    refusal(container, actor.username, "not-the-password", "203.0.113.1")  # and once more
    longest = container.settings.login_longest_wait_seconds
    with pytest.raises(LoginRefused) as refused:
        container.accounts.log_in(actor.username, PASSWORD, clock(), "198.51.100.1")
    assert refused.value.retry_after is not None and refused.value.retry_after <= longest
    clock.advance(seconds=longest)
    assert container.accounts.log_in(actor.username, PASSWORD, clock(), "198.51.100.1")


def test_a_password_longer_than_the_maximum_is_refused_when_set_and_when_used(
    container: Container, people: People
) -> None:
    with pytest.raises(DomainError) as refused:
        container.accounts.add_user("long.one", "Long", Role.ANALYST, "y" * 1001, container.clock())
    assert refused.value.field == "password" and "at most" in refused.value.message
    longest = "a tidy phrase " * 9 + "z" * (MAX_PASSWORD - 126)
    container.accounts.add_user("long.two", "Long", Role.ANALYST, longest, container.clock())
    assert container.accounts.log_in("long.two", longest, container.clock())


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("jo.bloggs-2026", "username"),
        ("aaaaaaaaaa", "different"),
        ("password123", "common"),
        ("qwertyuiop", "common"),
    ],
)
def test_weak_passwords_are_refused_naming_the_field(container: Container, password: str, why: str) -> None:
    with pytest.raises(DomainError) as refused:
        container.accounts.add_user("jo.bloggs", "Jo", Role.ANALYST, password, container.clock())
    assert refused.value.field == "password" and why in refused.value.message


def reset(container: Container, people: People) -> tuple[Actor, str]:
    user, admin = people(), people(Role.ADMIN)
    return user, container.user_admin.reset_password(admin, user.username, "forgot it", container.clock())


def test_a_reset_password_opens_no_session_until_a_new_one_is_chosen(
    container: Container, people: People
) -> None:
    user, temporary = reset(container, people)
    with pytest.raises(LoginRefused):
        container.accounts.log_in(user.username, PASSWORD, container.clock())
    with pytest.raises(PasswordChangeRequired):
        container.accounts.log_in(user.username, temporary, container.clock())
    with pytest.raises(DomainError) as refused:
        container.accounts.change_password(
            user.username, temporary, user.username + "-2026!", container.clock()
        )
    assert refused.value.field == "new_password"
    session = container.accounts.change_password(
        user.username, temporary, "a quiet harbour at dusk", container.clock()
    )
    assert session.actor.username == user.username
    assert container.accounts.log_in(user.username, "a quiet harbour at dusk", container.clock())


def test_changing_a_password_checks_the_current_one_like_a_log_in(
    container: Container, people: People
) -> None:
    user, _temporary = reset(container, people)
    with pytest.raises(LoginRefused):
        container.accounts.change_password(
            user.username, "not-it-at-all", "a quiet harbour", container.clock()
        )
