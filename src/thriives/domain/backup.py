"""Backup requests: a dispatcher (for the units on an incident) asks for further units.

A request says how many further units and which skills are wanted, and why. It stays open,
marking the incident on the board and adding its skills to the incident's wanted ones in
recommendations, until enough further units have been assigned (satisfied) or it is
cancelled with a reason. One request is open per incident at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from thriives.domain.dispatch_policy import DispatchPolicy
from thriives.domain.errors import DomainError
from thriives.domain.incidents import require_reason

# Incidents on which backup may be asked for: graded (waiting for its units) or held.
BACKUP_STATUSES = frozenset({"graded", "dispatched", "at_scene"})


@dataclass(frozen=True)
class BackupWanted:
    units: int
    skills: tuple[str, ...]
    reason: str


def check_backup(
    units: int, skills: Sequence[str], reason: str | None, policy: DispatchPolicy
) -> BackupWanted:
    """The request as given, or the first problem with it, naming the field."""
    if isinstance(units, bool) or not 1 <= units <= policy.backup_most_units:
        raise DomainError(f"ask for 1 to {policy.backup_most_units} further units", "units")
    chosen: list[str] = []
    for skill in skills:
        if skill not in policy.skills:
            raise DomainError(f"{skill[:40]!r} is not a skill this force records", "skills")
        if skill not in chosen:
            chosen.append(skill)
    text = require_reason(reason, True, "reason")
    assert text is not None
    return BackupWanted(units, tuple(chosen), text)


def require_backup_allowed(status: str, reference: str) -> None:
    if status not in BACKUP_STATUSES:
        raise DomainError(
            f"{reference} is {status.replace('_', ' ')}: "
            "backup is asked for on a graded incident or one its units hold",
            "reference",
        )


def is_satisfied(wanted: int, sent: Sequence[str]) -> bool:
    """Enough further units have been assigned since the request."""
    return len(sent) >= wanted
