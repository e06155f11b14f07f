"""Use-cases of identity: users, log-in with lock-out, sessions with idle timeout, API tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.accounts import (
    Actor,
    LockoutPolicy,
    Role,
    after_failed_login,
    check_new_account,
    is_idle_expired,
    is_locked,
)
from thriives.domain.audit_chain import Operation
from thriives.domain.errors import Conflict, DomainError

MAX_TEAM = 40  # the watch or team a user works in, for supervision figures

# A session's last-seen time is written at most this often, to keep reads cheap.
TOUCH_EVERY = timedelta(seconds=30)
LOGIN_FAILED = "the username or password is not right, or the account is locked"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    token: str  # the cookie value; only its digest is stored
    csrf_token: str
    actor: Actor


class LoginRefused(DomainError):
    status = 401


class AccountService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        lockout: LockoutPolicy,
        idle_timeout: timedelta,
        demo: bool,
        token_cache_seconds: float = 0.0,
    ) -> None:
        self._uow = uow
        self._token_ttl = token_cache_seconds
        self._token_cache: dict[str, tuple[Actor, float]] = {}
        self._hasher = hasher
        self._lockout = lockout
        self._idle = idle_timeout
        self._demo = demo

    def add_user(
        self,
        username: str,
        display_name: str,
        role: Role,
        password: str,
        now: datetime,
        by: str = "system",
        is_demo: bool = False,
        team: str | None = None,
    ) -> int:
        check_new_account(username, password)
        if not display_name.strip() or len(display_name) > 200:
            raise DomainError("must be 1 to 200 characters", "display_name")
        team = (team or "").strip() or None
        if team is not None and len(team) > MAX_TEAM:
            raise DomainError(f"at most {MAX_TEAM} characters", "team")
        password_hash = self._hasher.hash(password)
        try:
            with self._uow(write=True) as uow:
                user_id = uow.users.add(
                    {
                        "username": username,
                        "display_name": display_name.strip(),
                        "role": role.value,
                        "password_hash": password_hash,
                        "failed_logins": 0,
                        "locked_until": None,
                        "active": True,
                        "is_demo": is_demo,
                        "created_at": now,
                        "team": team,
                    }
                )
                uow.journal.audit(
                    now,
                    by,
                    Operation.COLLECTION,
                    "user",
                    username,
                    "account created",
                    {"role": role.value},
                )
                uow.commit()
                return user_id
        except IntegrityError as error:
            raise Conflict(f"user {username!r} already exists", "username") from error

    def log_in(self, username: str, password: str, now: datetime) -> Session:
        """Check a password; count failures, lock after too many; open a session on success.

        The answer to a failure never says which part was wrong or that the account is locked.
        """
        with self._uow(write=True) as uow:
            user = uow.users.by_username(username, for_update=True)
            usable = user is not None and user["active"] and (self._demo or not user["is_demo"])
            if user is None or not usable:
                self._verify(self._dummy_hash, password)
                uow.journal.audit(
                    now,
                    username[:40],
                    Operation.SECURITY,
                    "user",
                    username[:40],
                    "log-in refused",
                    {"why": "unknown or disabled account"},
                )
                uow.commit()
                raise LoginRefused(LOGIN_FAILED, "username")
            if is_locked(user["locked_until"], now):
                uow.journal.audit(
                    now, username, Operation.SECURITY, "user", username, "log-in refused", {"why": "locked"}
                )
                uow.commit()
                raise LoginRefused(LOGIN_FAILED, "username")
            if not self._verify(user["password_hash"], password):
                failures, locked_until = after_failed_login(user["failed_logins"], now, self._lockout)
                uow.users.set_login_state(user["id"], 0 if locked_until else failures, locked_until)
                uow.journal.audit(
                    now,
                    username,
                    Operation.SECURITY,
                    "user",
                    username,
                    "log-in refused",
                    {"why": "wrong password", "locked": bool(locked_until)},
                )
                uow.commit()
                raise LoginRefused(LOGIN_FAILED, "password")
            uow.users.set_login_state(user["id"], 0, None)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            uow.users.add_session(
                {
                    "id": digest(token),
                    "user_id": user["id"],
                    "csrf_token": csrf,
                    "created_at": now,
                    "last_seen_at": now,
                    "ended_at": None,
                }
            )
            uow.journal.audit(now, username, Operation.SECURITY, "user", username, "logged in")
            uow.commit()
        return Session(token, csrf, _actor(user["id"], user))

    @cached_property
    def _dummy_hash(self) -> str:
        """A hash to check against for unknown usernames, so they cost as much time as a
        wrong password; made on first need, not at start-up."""
        return self._hasher.hash(secrets.token_hex(16))

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def session(self, token: str, now: datetime) -> tuple[Actor, str] | None:
        """The actor and CSRF token of a live session, or None when ended, idle or unknown."""
        session_id = digest(token)
        with self._uow() as uow:
            row = uow.users.session(session_id)
        if row is None or not row["active"] or (row["is_demo"] and not self._demo):
            return None
        if is_idle_expired(row["last_seen_at"], now, self._idle):
            self.log_out(token, now, why="idle timeout")
            return None
        if now - row["last_seen_at"] >= TOUCH_EVERY:
            with self._uow(write=True) as uow:
                uow.users.touch_session(session_id, now)
                uow.commit()
        return _actor(row["user_id"], row), row["csrf_token"]

    def log_out(self, token: str, now: datetime, why: str = "logged out") -> None:
        session_id = digest(token)
        with self._uow(write=True) as uow:
            row = uow.users.session(session_id)
            if row is None:
                return
            uow.users.end_session(session_id, now)
            uow.journal.audit(now, row["username"], Operation.SECURITY, "user", row["username"], why)
            uow.commit()

    def issue_token(self, username: str, label: str, now: datetime, by: str = "system") -> str:
        token = "thr_" + secrets.token_urlsafe(32)
        with self._uow(write=True) as uow:
            user = uow.users.by_username(username)
            if user is None:
                raise DomainError(f"no user {username!r}", "username")
            uow.users.add_token(
                {
                    "id": digest(token),
                    "user_id": user["id"],
                    "label": label[:100],
                    "created_at": now,
                    "revoked_at": None,
                }
            )
            uow.journal.audit(
                now, by, Operation.SECURITY, "user", username, "API token issued", {"label": label[:100]}
            )
            uow.commit()
        return token

    def remembered_token_actor(self, token: str) -> Actor | None:
        """The actor of a token looked up in the last few seconds, without touching the store."""
        cached = self._token_cache.get(digest(token))
        if cached is not None and time.monotonic() < cached[1]:
            return cached[0]
        return None

    def token_actor(self, token: str) -> Actor | None:
        """The actor behind a bearer token. A found token is remembered for a few seconds
        (``token_cache_seconds``) so busy API clients do not cost a read per request."""
        cached = self.remembered_token_actor(token)
        if cached is not None:
            return cached
        token_id = digest(token)
        with self._uow() as uow:
            row = uow.users.token(token_id)
        if row is None or not row["active"] or (row["is_demo"] and not self._demo):
            self._token_cache.pop(token_id, None)
            return None
        actor = _actor(row["user_id"], row)
        if self._token_ttl > 0:
            if len(self._token_cache) > 10_000:
                self._token_cache.clear()
            self._token_cache[token_id] = (actor, time.monotonic() + self._token_ttl)
        return actor


def _actor(user_id: int, row: dict[str, Any]) -> Actor:
    return Actor(user_id, row["username"], Role(row["role"]), row["display_name"])
