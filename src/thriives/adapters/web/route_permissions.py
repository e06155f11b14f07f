"""Who may use each write route: one table, checked by one dependency before anything else.

Every non-GET route of the application (API and pages) is listed here with the permissions
it needs (all of them), or as open to anyone (the log-in forms) or to any logged-in user.
The services check their own permissions too; this table is the one place to read who may
change what, and a test walks the application's routes against it, so a new write route
that is not listed, or a role that can use a route without the permission, fails the suite.
"""

from __future__ import annotations

import re
from typing import Final

from fastapi import Request

from thriives.adapters.web.identity import SAFE_METHODS, optional_caller
from thriives.domain.accounts import Permission, require

PUBLIC: Final = "public"  # no log-in needed: the log-in forms
ANY_USER: Final = "any logged-in user"
Needs = tuple[Permission, ...] | str

_P = Permission
_BOARD = "/board"
WRITE_ROUTES: dict[tuple[str, str], Needs] = {
    # ---- the log-in forms and the session ----
    ("POST", "/login"): PUBLIC,
    ("POST", "/login/password"): PUBLIC,
    ("POST", "/logout"): ANY_USER,
    # ---- incidents ----
    ("POST", "/api/v1/incidents"): (_P.OPEN_INCIDENT,),
    ("POST", "/calls"): (_P.OPEN_INCIDENT,),
    ("POST", "/api/v1/incidents/{reference}/status"): (_P.REOPEN_INCIDENT,),
    ("POST", "/incidents/{reference}/status"): (_P.REOPEN_INCIDENT,),
    ("POST", "/api/v1/incidents/{reference}/close"): (_P.CLOSE_INCIDENT,),
    ("POST", "/incidents/{reference}/close"): (_P.CLOSE_INCIDENT,),
    ("POST", "/api/v1/incidents/{reference}/categorisation"): (_P.UPDATE_INCIDENT,),
    ("POST", "/api/v1/incidents/{reference}/links"): (_P.UPDATE_INCIDENT,),
    ("POST", "/incidents/{reference}/links"): (_P.UPDATE_INCIDENT,),
    ("POST", "/api/v1/incidents/{reference}/log"): (_P.WRITE_LOG,),
    ("POST", "/incidents/{reference}/log"): (_P.WRITE_LOG,),
    # ---- assessment and grading ----
    ("POST", "/api/v1/incidents/{reference}/assessments/preview"): (_P.ASSESS_INCIDENT,),
    ("POST", "/api/v1/incidents/{reference}/assessments"): (_P.ASSESS_INCIDENT,),
    ("POST", "/api/v1/incidents/{reference}/dash"): (_P.ASSESS_INCIDENT,),
    ("POST", "/incidents/{reference}/assess/preview"): (_P.ASSESS_INCIDENT,),
    ("POST", "/incidents/{reference}/assess"): (_P.ASSESS_INCIDENT,),
    ("POST", "/incidents/{reference}/dash"): (_P.ASSESS_INCIDENT,),
    ("POST", "/api/v1/incidents/{reference}/initial-grade"): (_P.ASSESS_INCIDENT,),
    ("POST", "/incidents/{reference}/initial-grade"): (_P.ASSESS_INCIDENT,),
    ("PUT", "/api/v1/aide-memoires/{category}"): (_P.MANAGE_AIDE_MEMOIRES,),
    ("POST", "/aide-memoires/{category}"): (_P.MANAGE_AIDE_MEMOIRES,),
    # ---- intelligence: attaching a person changes the incident's assessment ----
    ("POST", "/api/v1/intel/searches"): (_P.SEARCH_INTEL,),
    ("POST", "/incidents/{reference}/intel/search"): (_P.SEARCH_INTEL,),
    ("POST", "/api/v1/incidents/{reference}/people"): (_P.SEARCH_INTEL, _P.UPDATE_INCIDENT),
    ("POST", "/incidents/{reference}/intel/attach"): (_P.SEARCH_INTEL, _P.UPDATE_INCIDENT),
    ("POST", "/api/v1/intel/markers/{marker_id}/open"): (_P.VIEW_RESTRICTED_INTEL,),
    ("POST", "/intel/markers/{marker_id}/open"): (_P.VIEW_RESTRICTED_INTEL,),
    # ---- dispatch ----
    ("POST", "/api/v1/incidents/{reference}/assign"): (_P.DISPATCH,),
    ("POST", "/api/v1/incidents/{reference}/backup"): (_P.DISPATCH,),
    ("POST", "/api/v1/incidents/{reference}/backup/cancel"): (_P.DISPATCH,),
    ("POST", "/api/v1/units/{call_sign}/status"): (_P.DISPATCH,),
    ("POST", "/api/v1/units/{call_sign}/take-away"): (_P.DISPATCH,),
    ("POST", "/api/v1/units/{call_sign}/hand-over"): (_P.DISPATCH,),
    ("POST", "/api/v1/units/{call_sign}/position"): (_P.DISPATCH,),
    ("POST", _BOARD + "/incidents/{reference}/assign"): (_P.DISPATCH,),
    ("POST", _BOARD + "/incidents/{reference}/backup"): (_P.DISPATCH,),
    ("POST", _BOARD + "/incidents/{reference}/backup/cancel"): (_P.DISPATCH,),
    ("POST", _BOARD + "/units/{call_sign}/status"): (_P.DISPATCH,),
    ("POST", _BOARD + "/units/{call_sign}/take-away"): (_P.DISPATCH,),
    ("POST", _BOARD + "/units/{call_sign}/hand-over"): (_P.DISPATCH,),
    ("POST", "/api/v1/incidents/{reference}/cut-off"): (_P.UPDATE_INCIDENT,),
    ("POST", _BOARD + "/incidents/{reference}/cut-off"): (_P.UPDATE_INCIDENT,),
    # ---- reassessment, appointments, follow-ups ----
    ("POST", "/api/v1/reassessments/{task_id}/complete"): (_P.REASSESS,),
    ("POST", "/reassessments/{task_id}"): (_P.REASSESS,),
    ("POST", "/api/v1/follow-ups/{follow_up_id}/complete"): (_P.REASSESS,),
    ("POST", "/follow-ups/{follow_up_id}"): (_P.REASSESS,),
    ("POST", "/api/v1/appointment-slots"): (_P.MANAGE_SLOTS,),
    ("POST", "/api/v1/incidents/{reference}/appointments"): (_P.BOOK_APPOINTMENT,),
    ("POST", _BOARD + "/incidents/{reference}/appointment"): (_P.BOOK_APPOINTMENT,),
    ("POST", "/api/v1/appointments/{appointment_id}/end"): (_P.BOOK_APPOINTMENT,),
    ("POST", _BOARD + "/appointments/{appointment_id}/end"): (_P.BOOK_APPOINTMENT,),
    # ---- supervision: the services also refuse anyone's own call ----
    ("POST", "/api/v1/reviews/items/{item_id}/decision"): (_P.REVIEW_CALLS,),
    ("POST", "/supervision/items/{item_id}/approve"): (_P.REVIEW_CALLS,),
    ("POST", "/supervision/items/{item_id}/reject"): (_P.REVIEW_CALLS,),
    ("POST", "/api/v1/incidents/{reference}/reviews"): (_P.REVIEW_CALLS,),
    ("POST", "/supervision/incidents/{reference}/review"): (_P.REVIEW_CALLS,),
    ("POST", "/api/v1/reviews/samples"): (_P.REVIEW_CALLS,),
    ("POST", "/supervision/sample"): (_P.REVIEW_CALLS,),
    ("POST", "/api/v1/feedback/{review_id}/acknowledge"): (_P.RECEIVE_FEEDBACK,),
    ("POST", "/feedback/{review_id}/acknowledge"): (_P.RECEIVE_FEEDBACK,),
    # ---- accounts: the services also refuse one's own account ----
    ("POST", "/admin/users/{username}/disable"): (_P.MANAGE_USERS,),
    ("POST", "/admin/users/{username}/enable"): (_P.MANAGE_USERS,),
    ("POST", "/admin/users/{username}/role"): (_P.MANAGE_USERS,),
    ("POST", "/admin/users/{username}/team"): (_P.MANAGE_USERS,),
    ("POST", "/admin/users/{username}/password-reset"): (_P.MANAGE_USERS,),
    ("POST", "/admin/users/{username}/sessions/end"): (_P.MANAGE_USERS,),
    ("POST", "/admin/users/{username}/tokens/revoke"): (_P.MANAGE_USERS,),
}


def _pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z_]+\})", path)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


# Fixed paths first, so ``/incidents/search`` is never taken for ``/incidents/{reference}``.
_MATCHERS = sorted(
    ((method, _pattern(path), needs, path) for (method, path), needs in WRITE_ROUTES.items()),
    key=lambda entry: entry[3].count("{"),
)


def needs_for(method: str, path: str) -> Needs | None:
    """What a write request needs, from the table; None for a route the table does not list."""
    for entry_method, pattern, needs, _template in _MATCHERS:
        if entry_method == method and pattern.match(path):
            return needs
    return None


async def write_permission(request: Request) -> None:
    """The application's first dependency: refuse (403) a write by a role without the
    permission the table names, before the body is read or anything is looked up. A caller
    not logged in is left to the route's own dependency (401, or the log-in page)."""
    if request.method in SAFE_METHODS:
        return
    needs = needs_for(request.method, request.url.path)
    if needs is None or isinstance(needs, str):
        return
    caller = await optional_caller(request)
    if caller is None:
        return
    for permission in needs:
        require(caller.actor.role, permission)
