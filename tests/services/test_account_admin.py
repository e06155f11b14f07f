"""Account administration on both stores: each action takes effect at once, ends the
sessions it should, and is audited with who did it and why."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, People
from thriives.adapters.db.tables import audit_log
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.errors import DomainError, Forbidden, NotFound
from thriives.services.accounts import LoginRefused


def last_audit(container: Container) -> dict[str, object]:
    with container.uow() as uow:
        row = uow.connection.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).one()
    return {"actor": row.actor, "record": row.record_id, "why": row.justification, **json.loads(row.detail)}


def test_disabling_ends_sessions_and_tokens_and_enabling_lets_the_user_back(
    container: Container, people: People
) -> None:
    user, admin = people(), people(Role.ADMIN)
    now = container.clock()
    session = container.accounts.log_in(user.username, PASSWORD, now)
    token = container.accounts.issue_token(user.username, "bridge", now)
    container.user_admin.disable(admin, user.username, "left the force", now)
    audited = last_audit(container)
    assert audited["actor"] == admin.username and audited["record"] == user.username
    assert audited["why"] == "account disabled: left the force" and audited["sessions_ended"] == 1
    assert container.accounts.session(session.token, now) is None
    assert container.accounts.token_actor(token, now) is None
    with pytest.raises(LoginRefused):
        container.accounts.log_in(user.username, PASSWORD, now)
    container.user_admin.enable(admin, user.username, "came back", now)
    assert container.accounts.log_in(user.username, PASSWORD, now)
    assert container.accounts.token_actor(token, now) is not None


def test_a_new_role_ends_the_sessions_and_holds_from_the_next_log_in(
    container: Container, people: People
) -> None:
    user, admin = people(Role.CALL_HANDLER), people(Role.ADMIN)
    now = container.clock()
    session = container.accounts.log_in(user.username, PASSWORD, now)
    container.user_admin.change_role(admin, user.username, "dispatcher", "moved to dispatch", now)
    assert last_audit(container)["before"] == {"role": "call_handler"}
    assert container.accounts.session(session.token, now) is None
    assert container.accounts.log_in(user.username, PASSWORD, now).actor.role is Role.DISPATCHER
    with pytest.raises(DomainError) as refused:
        container.user_admin.change_role(admin, user.username, "overlord", "why not", now)
    assert refused.value.field == "role"


def test_the_team_changes_without_ending_sessions(container: Container, people: People) -> None:
    user, admin = people(), people(Role.ADMIN)
    now = container.clock()
    session = container.accounts.log_in(user.username, PASSWORD, now)
    container.user_admin.change_team(admin, user.username, "C watch", "rota change", now)
    assert container.accounts.session(session.token, now) is not None
    assert container.user_admin.user(admin, user.username, now)["team"] == "C watch"


def test_tokens_are_listed_without_the_secret_and_revoked_by_reference(
    container: Container, people: People
) -> None:
    user, admin = people(), people(Role.ADMIN)
    now = container.clock()
    token = container.accounts.issue_token(user.username, "bridge", now)
    listed = container.user_admin.user(admin, user.username, now)["tokens"]
    assert [(t["label"], t["state"]) for t in listed] == [("bridge", "live")]
    assert token not in json.dumps(listed, default=str)
    with pytest.raises(NotFound):
        container.user_admin.revoke_token(admin, user.username, "deadbeef00", "lost laptop", now)
    container.user_admin.revoke_token(admin, user.username, listed[0]["ref"], "lost laptop", now)
    assert container.accounts.token_actor(token, now) is None
    assert container.user_admin.user(admin, user.username, now)["tokens"][0]["state"] == "revoked"
    assert last_audit(container)["why"] == "API token revoked: lost laptop"


def test_ending_sessions_logs_the_user_out_everywhere(container: Container, people: People) -> None:
    user, admin = people(), people(Role.ADMIN)
    now = container.clock()
    sessions = [container.accounts.log_in(user.username, PASSWORD, now) for _ in range(2)]
    assert container.user_admin.end_sessions(admin, user.username, "shared terminal", now) == 2
    assert all(container.accounts.session(s.token, now) is None for s in sessions)


def test_a_reset_ends_sessions_and_the_old_password_stops_working(
    container: Container, people: People
) -> None:
    user, admin = people(), people(Role.ADMIN)
    now = container.clock()
    session = container.accounts.log_in(user.username, PASSWORD, now)
    temporary = container.user_admin.reset_password(admin, user.username, "forgot it", now)
    assert container.accounts.session(session.token, now) is None
    assert temporary not in json.dumps(last_audit(container))
    with pytest.raises(LoginRefused):
        container.accounts.log_in(user.username, PASSWORD, now)


def test_every_action_needs_a_reason_an_administrator_and_someone_else(
    container: Container, people: People
) -> None:
    user, admin, supervisor = people(), people(Role.ADMIN), people(Role.SUPERVISOR)
    now = container.clock()
    with pytest.raises(DomainError) as refused:
        container.user_admin.disable(admin, user.username, "  ", now)
    assert refused.value.field == "reason"
    with pytest.raises(PermissionError):
        container.user_admin.disable(supervisor, user.username, "I do not like them", now)
    with pytest.raises(Forbidden):
        container.user_admin.change_role(admin, admin.username, "supervisor", "promote myself", now)
    with pytest.raises(NotFound):
        container.user_admin.disable(admin, "nobody.here", "tidying up", now)
