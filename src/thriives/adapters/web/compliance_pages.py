"""The compliance dashboard: how well the risk model is being applied, for a period of whole
local days (the last seven by default), grouped by handler, team, shift or week, as a table
and as charts drawn on the server (inline SVG: no script, no network), with links to the
same figures as CSV and as a printable report (HTML and PDF).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from thriives.adapters.web.charts import bar_chart, score_text
from thriives.adapters.web.identity import Caller, container_of, page_caller
from thriives.adapters.web.pages import render
from thriives.domain.compliance import GROUPINGS
from thriives.domain.errors import DomainError

router = APIRouter(include_in_schema=False)
PageCaller = Annotated[Caller, Depends(page_caller)]
DEFAULT_DAYS = 7
# The compliance figures, in the order the table and the charts show them: (field, heading).
MEASURES = (
    ("assessed", "Complete assessment"),
    ("searched", "History searched"),
    ("category_at_close", "Category kept at closing"),
    ("category_by_review", "Category right (reviews)"),
    ("reassessed_on_time", "Reassessed on time"),
    ("score", "Review score"),
)


def _day(raw: str, default: date, field: str) -> date:
    if not raw.strip():
        return default
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError as error:
        raise DomainError("must be a date, YYYY-MM-DD", field) from error


@router.get("/compliance")
def compliance_page(
    request: Request, caller: PageCaller, start: str = "", end: str = "", by: str = "handler"
) -> HTMLResponse:
    """The figures for a period of local days (the last seven by default), grouped by
    handler, team, shift or week, as a table and as charts drawn on the server."""
    container = container_of(request)
    today = container.clock().astimezone(ZoneInfo(container.settings.force_timezone)).date()
    query = {"start": start[:10], "end": end[:10], "by": by[:20]}
    errors: dict[str, str] = {}
    dashboard = None
    try:
        first = _day(start, today - timedelta(days=DEFAULT_DAYS - 1), "start")
        last = _day(end, today, "end")
        query |= {"start": first.isoformat(), "end": last.isoformat()}
        dashboard = container.supervision.dashboard(caller.actor, first, last, by)
    except DomainError as error:
        errors = {error.field if error.field in query else "form": error.message}
    return render(
        request,
        "supervision_compliance.html",
        caller,
        422 if errors else 200,
        dashboard=dashboard,
        query=query,
        failed="period",
        errors=errors,
        groupings=GROUPINGS,
        measures=MEASURES,
        charts=_charts(dashboard),
    )


def _charts(dashboard: dict[str, Any] | None) -> list[Markup]:
    """One bar chart per figure, drawn on the server as inline SVG (no script, no network)."""
    if dashboard is None or not dashboard["rows"]:
        return []
    charts = []
    for field, heading in MEASURES:
        if field == "score":  # a mean score out of 100, drawn as a share of 100
            rows = [(r.group, None if r.score is None else r.score / 100) for r in dashboard["rows"]]
            charts.append(bar_chart(heading, rows, value_text=score_text))
        else:
            charts.append(bar_chart(heading, [(r.group, getattr(r, field)) for r in dashboard["rows"]]))
    return charts
