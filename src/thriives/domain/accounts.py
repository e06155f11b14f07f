"""Roles, what each may do, the password rules and idle sessions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from thriives.domain.errors import DomainError


class Role(StrEnum):
    CALL_HANDLER = "call_handler"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    PUBLIC_PROTECTION = "public_protection"
    ANALYST = "analyst"
    ADMIN = "admin"


class Permission(StrEnum):
    OPEN_INCIDENT = "open_incident"
    VIEW_QUEUE = "view_queue"
    VIEW_INCIDENT = "view_incident"
    UPDATE_INCIDENT = "update_incident"
    CLOSE_INCIDENT = "close_incident"
    REOPEN_INCIDENT = "reopen_incident"
    ASSESS_INCIDENT = "assess_incident"
    MANAGE_AIDE_MEMOIRES = "manage_aide_memoires"
    VERIFY_AUDIT = "verify_audit"
    MANAGE_USERS = "manage_users"
    SEARCH_INTEL = "search_intel"
    VIEW_RESTRICTED_INTEL = "view_restricted_intel"  # see restricted markers; open them with a reason
    IMPORT_INTEL = "import_intel"
    DISPATCH = "dispatch"  # assign units, move units, take units away
    REASSESS = "reassess"  # carry out a delayed-attendance reassessment task
    BOOK_APPOINTMENT = "book_appointment"
    MANAGE_SLOTS = "manage_slots"  # open appointment slots and set their capacity
    REVIEW_CALLS = "review_calls"  # the QA review queue: review, approve or reject downgrades
    VIEW_COMPLIANCE = "view_compliance"  # the compliance dashboard and report
    RECEIVE_FEEDBACK = "receive_feedback"  # see and acknowledge reviews of one's own work
    SEARCH_INCIDENTS = "search_incidents"  # find any incident, past or live, by its details
    WRITE_LOG = "write_log"  # add to an incident's running log


_P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CALL_HANDLER: frozenset(
        {
            _P.OPEN_INCIDENT,
            _P.VIEW_QUEUE,
            _P.VIEW_INCIDENT,
            _P.UPDATE_INCIDENT,
            _P.CLOSE_INCIDENT,
            _P.ASSESS_INCIDENT,
            _P.SEARCH_INTEL,
            _P.REASSESS,
            _P.BOOK_APPOINTMENT,
            _P.RECEIVE_FEEDBACK,
            _P.SEARCH_INCIDENTS,
            _P.WRITE_LOG,
        }
    ),
    Role.DISPATCHER: frozenset(
        {
            _P.OPEN_INCIDENT,
            _P.VIEW_QUEUE,
            _P.VIEW_INCIDENT,
            _P.UPDATE_INCIDENT,
            _P.CLOSE_INCIDENT,
            _P.ASSESS_INCIDENT,
            _P.SEARCH_INTEL,
            _P.DISPATCH,
            _P.REASSESS,
            _P.BOOK_APPOINTMENT,
            _P.RECEIVE_FEEDBACK,
            _P.SEARCH_INCIDENTS,
            _P.WRITE_LOG,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            _P.OPEN_INCIDENT,
            _P.VIEW_QUEUE,
            _P.VIEW_INCIDENT,
            _P.UPDATE_INCIDENT,
            _P.CLOSE_INCIDENT,
            _P.REOPEN_INCIDENT,
            _P.VERIFY_AUDIT,
            _P.ASSESS_INCIDENT,
            _P.MANAGE_AIDE_MEMOIRES,
            _P.SEARCH_INTEL,
            _P.VIEW_RESTRICTED_INTEL,
            _P.DISPATCH,
            _P.REASSESS,
            _P.BOOK_APPOINTMENT,
            _P.MANAGE_SLOTS,
            _P.REVIEW_CALLS,
            _P.VIEW_COMPLIANCE,
            _P.RECEIVE_FEEDBACK,
            _P.SEARCH_INCIDENTS,
            _P.WRITE_LOG,
        }
    ),
    Role.PUBLIC_PROTECTION: frozenset(
        {
            _P.VIEW_QUEUE,
            _P.VIEW_INCIDENT,
            _P.SEARCH_INTEL,
            _P.VIEW_RESTRICTED_INTEL,
            _P.SEARCH_INCIDENTS,
            _P.WRITE_LOG,
        }
    ),
    Role.ANALYST: frozenset({_P.VIEW_QUEUE, _P.VIEW_COMPLIANCE}),
    Role.ADMIN: frozenset({_P.VIEW_QUEUE, _P.VERIFY_AUDIT, _P.MANAGE_USERS, _P.IMPORT_INTEL}),
}


def can(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def require(role: Role, permission: Permission) -> None:
    if not can(role, permission):
        raise PermissionError(f"the {role.value} role may not {permission.value.replace('_', ' ')}")


_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10
# NIST SP 800-63B asks verifiers to allow at least 64 characters; a clear maximum keeps
# hashing cheap. The same limit is enforced at creation and at log-in.
MAX_PASSWORD = 128


def check_new_account(username: str, password: str, is_common: Callable[[str], bool]) -> None:
    if not _USERNAME.match(username):
        raise DomainError("2-40 characters: lower-case letters, digits, . _ -", "username")
    check_password(username, password, is_common)


def check_password(
    username: str, password: str, is_common: Callable[[str], bool], field: str = "password"
) -> None:
    """Password rules after NIST SP 800-63B section 5.1.1.2: a length between the limits,
    not the username or containing it, not one character repeated, and not on a list of
    common and breached passwords (``is_common``); no composition rules."""
    if len(password) < MIN_PASSWORD:
        raise DomainError(f"must be at least {MIN_PASSWORD} characters", field)
    if len(password) > MAX_PASSWORD:
        raise DomainError(f"must be at most {MAX_PASSWORD} characters", field)
    if username and username.lower() in password.lower():
        raise DomainError("must not contain the username", field)
    if len(set(password)) < 3:
        raise DomainError("uses too few different characters", field)
    if is_common(password):
        raise DomainError("is on a list of common or breached passwords: choose another", field)


def is_idle_expired(last_seen: datetime, now: datetime, idle_timeout: timedelta) -> bool:
    return now - last_seen >= idle_timeout


@dataclass(frozen=True)
class Actor:
    """Who is doing something: every service call names one, and the audit log records it."""

    user_id: int
    username: str
    role: Role
    display_name: str = ""


def is_own_call(actor: Actor, created_by: int | None, assessed_by: Iterable[str]) -> bool:
    """Separation of duties: a call is one's own if one took it (opened the incident) or
    recorded an assessment on it; nobody reviews or decides on their own call."""
    return created_by == actor.user_id or actor.username in set(assessed_by)
