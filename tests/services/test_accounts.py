"""Accounts on both stores: log-in, lock-out, idle sessions, tokens, and their audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, FakeClock, People, test_settings
from thriives.adapters.db.tables import audit_log
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Role
from thriives.domain.errors import Conflict, DomainError
from thriives.services.accounts import LoginRefused


def security_log(container: Container) -> list[str]:
    with container.uow() as uow:
        rows = uow.connection.execute(
            select(audit_log.c.justification)
            .where(audit_log.c.operation == "security")
            .order_by(audit_log.c.seq)
        ).all()
    return [row.justification for row in rows]


def test_a_user_logs_in_and_the_session_names_them(container: Container, people: People) -> None:
    actor = people(Role.DISPATCHER)
    session = container.accounts.log_in(actor.username, PASSWORD, container.clock())
    found = container.accounts.session(session.token, container.clock())
    assert found is not None
    assert found[0].username == actor.username and found[0].role is Role.DISPATCHER
    assert found[1] == session.csrf_token
    assert security_log(container)[-1] == "logged in"


def test_repeated_failures_make_the_name_wait_instead_of_locking_it(
    container: Container, people: People, clock: FakeClock
) -> None:
    actor = people()
    free = container.settings.login_free_failures
    for _ in range(free):
        with pytest.raises(LoginRefused) as refused:
            container.accounts.log_in(actor.username, "wrong-password", clock())
    assert refused.value.retry_after is None  # the free failures cost no wait
    with pytest.raises(LoginRefused) as refused:  # one more: the name waits 2 seconds
        container.accounts.log_in(actor.username, "wrong-password", clock())
    assert refused.value.retry_after == 2
    with pytest.raises(LoginRefused) as refused:  # even the right password, while it waits
        container.accounts.log_in(actor.username, PASSWORD, clock())
    assert refused.value.retry_after == 2
    clock.advance(seconds=2)
    assert container.accounts.log_in(actor.username, PASSWORD, clock()).actor.username == actor.username
    assert security_log(container).count("log-in refused") == free + 2


def test_an_unknown_user_is_refused_like_a_wrong_password(container: Container) -> None:
    with pytest.raises(LoginRefused) as refused:
        container.accounts.log_in("nobody", PASSWORD, container.clock())
    assert "not right" in refused.value.message and refused.value.field == "username"


def test_an_idle_session_ends(container: Container, people: People, clock: FakeClock) -> None:
    actor = people()
    session = container.accounts.log_in(actor.username, PASSWORD, clock())
    clock.advance(minutes=container.settings.session_idle_minutes - 1)
    assert container.accounts.session(session.token, clock()) is not None
    clock.advance(minutes=container.settings.session_idle_minutes - 1)  # activity kept it alive
    assert container.accounts.session(session.token, clock()) is not None
    clock.advance(minutes=container.settings.session_idle_minutes)
    assert container.accounts.session(session.token, clock()) is None
    assert "idle timeout" in security_log(container)


def test_a_logged_out_session_is_dead(container: Container, people: People) -> None:
    actor = people()
    session = container.accounts.log_in(actor.username, PASSWORD, container.clock())
    container.accounts.log_out(session.token, container.clock())
    assert container.accounts.session(session.token, container.clock()) is None


def test_demo_users_exist_only_in_demo_mode(database_url: str, clock: FakeClock) -> None:
    demo = build(test_settings(database_url, demo=True), clock=clock)
    plain = build(test_settings(database_url, demo=False), clock=clock)
    try:
        demo.accounts.add_user("handler", "Demo Handler", Role.CALL_HANDLER, PASSWORD, clock(), is_demo=True)
        session = demo.accounts.log_in("handler", PASSWORD, clock())
        token = demo.accounts.issue_token("handler", "t", clock())
        with pytest.raises(LoginRefused):
            plain.accounts.log_in("handler", PASSWORD, clock())
        assert plain.accounts.session(session.token, clock()) is None
        assert plain.accounts.token_actor(token) is None
        assert demo.accounts.token_actor(token) is not None
    finally:
        demo.close()
        plain.close()


def test_a_token_identifies_its_user_and_a_wrong_one_nobody(container: Container, people: People) -> None:
    actor = people(Role.SUPERVISOR)
    token = container.accounts.issue_token(actor.username, "integration", container.clock())
    found = container.accounts.token_actor(token)
    assert found is not None and found.username == actor.username
    assert container.accounts.token_actor(token + "x") is None


def test_a_token_expires_after_the_set_days(container: Container, people: People, clock: FakeClock) -> None:
    actor = people(Role.SUPERVISOR)
    token = container.accounts.issue_token(actor.username, "integration", clock())
    days = container.settings.token_days
    assert container.accounts.token_actor(token, clock.advance(days=days) - timedelta(seconds=1)) is not None
    container.accounts.forget_tokens()  # a process remembers a token a few seconds at most
    assert container.accounts.token_actor(token, clock()) is None


def test_a_duplicate_or_weak_account_is_refused(container: Container, people: People) -> None:
    actor = people()
    with pytest.raises(Conflict):
        container.accounts.add_user(actor.username, "Again", Role.ADMIN, PASSWORD, container.clock())
    with pytest.raises(DomainError) as refused:
        container.accounts.add_user("newbie", "New", Role.ADMIN, "short", container.clock())
    assert refused.value.field == "password"


def test_passwords_are_stored_as_argon2_hashes(container: Container, people: People) -> None:
    actor = people()
    with container.uow() as uow:
        stored = uow.users.by_username(actor.username)
    assert stored is not None
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in stored["password_hash"]
