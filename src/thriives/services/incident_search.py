"""Finding any incident, live or past, by its details: role-checked, paged and audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, require
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.audit_chain import Operation
from thriives.domain.categories import CategoryPolicy
from thriives.domain.incident_search import DEFAULT_PAGE_SIZE, check_page, parse_criteria, utc_bounds
from thriives.domain.incidents import Status

JUSTIFICATION = "operational: incident search"


class IncidentSearchService:
    def __init__(
        self, uow: UnitOfWorkFactory, categories: CategoryPolicy, assessment: AssessmentPolicy, timezone: str
    ) -> None:
        self._uow = uow
        self._categories = categories
        self._assessment = assessment
        self._zone = ZoneInfo(timezone)

    def search(
        self,
        actor: Actor,
        raw: Mapping[str, str | None],
        now: datetime,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> dict[str, Any]:
        """One page of the incidents meeting the criteria, newest first, and how many there are.

        1. Check the role, the page and every criterion (a bad one refused by its name).
        2. Count and read one page in the store (indexed by date, number and postcode).
        3. Audit the search as a consultation: the criteria and the count, not the results.
        """
        require(actor.role, Permission.SEARCH_INCIDENTS)
        check_page(page, page_size)
        criteria = parse_criteria(
            raw,
            self._categories.categories.keys(),
            [g.code for g in self._assessment.grades],
            [s.value for s in Status],
        )
        start, end = utc_bounds(criteria, self._zone)
        with self._uow() as uow:
            total, rows = uow.records.search(criteria, start, end, (page - 1) * page_size, page_size)
        given = criteria.given()
        with self._uow(write=True) as uow:
            uow.journal.audit(
                now,
                actor.username,
                Operation.CONSULTATION,
                "incident_search",
                "incidents",
                JUSTIFICATION,
                {"criteria": given, "found": total, "page": page},
            )
            uow.commit()
        for row in rows:
            row.pop("id", None)
        return {
            "criteria": given,
            "total": total,
            "page": page,
            "page_size": page_size,
            "pages": max(1, -(-total // page_size)),
            "results": rows,
        }
