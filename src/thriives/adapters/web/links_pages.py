"""Pages of linked incidents, incident search and the incident log.

The links panel and the log panel are fragments of their own, loaded by htmx into the
assessment screen (links, right after a call is opened), the incident page and the board's
incident page, so those pages do not change shape. Their forms post with htmx and the panel
is swapped in place; a refusal comes back in the panel, next to its field, with the input
kept (``static/links.js`` swaps a 4xx in). Without JavaScript they post normally and come
back to the page they were on. Closing a call as a duplicate goes to the first incident.

Included before the pages router: ``/incidents/search`` is a page, not an incident.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.identity import Caller, container_of, page_caller
from thriives.adapters.web.pages import render
from thriives.domain.accounts import Permission, can
from thriives.domain.errors import DomainError
from thriives.domain.incident_search import DEFAULT_PAGE_SIZE, FIELDS
from thriives.domain.incidents import Status

router = APIRouter(include_in_schema=False)
PageCaller = Annotated[Caller, Depends(page_caller)]
LONGEST = 10_000  # nothing typed is read beyond this; the rules' own limits are lower


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value[:LONGEST] if isinstance(value, str) else ""


def _back(raw: str, reference: str) -> str:
    """Only same-site paths: a form never sends the browser elsewhere."""
    return raw if raw.startswith("/") and not raw.startswith("//") else f"/incidents/{reference}"


def _failure(error: Exception) -> tuple[int, dict[str, str]]:
    if isinstance(error, DomainError):
        return error.status, {error.field or "form": error.message}
    return 403, {"form": str(error)}


# ---- linked incidents ------------------------------------------------------------------------


def _links_context(request: Request, caller: Caller, reference: str) -> dict[str, Any]:
    container = container_of(request)
    now = container.clock()
    links = container.links.links_of(caller.actor, reference, now)
    offered = container.links.possible_duplicates(caller.actor, reference, now)
    return {"reference": links["reference"], "record": links, "offered": offered["candidates"]}


def _links_panel(
    request: Request,
    caller: Caller,
    reference: str,
    back: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    kept: dict[str, str] | None = None,
    compact: bool = False,
) -> HTMLResponse:
    context = _links_context(request, caller, reference)
    return render(
        request,
        "_links_panel.html",
        caller,
        status,
        back=back,
        errors=errors or {},
        kept=kept or {},
        compact=compact,
        **context,
    )


@router.get("/incidents/{reference}/links/panel")
def links_panel(
    request: Request, reference: str, caller: PageCaller, back: str = "", compact: bool = False
) -> HTMLResponse:
    """Possible duplicates with their reasons, the links made, and the forms to link.
    ``compact`` (the assessment screen): nothing at all when there is nothing to say, and
    no link-by-reference form, so the screen's keyboard path is unchanged."""
    return _links_panel(request, caller, reference[:40], _back(back, reference[:40]), compact=compact)


@router.post("/incidents/{reference}/links")
async def link(request: Request, reference: str, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await request.form()
    kept = {name: _text(form, name) for name in ("other", "relation", "reason")}
    back = _back(_text(form, "back"), reference[:40])
    compact = _text(form, "compact") == "true"
    try:
        made = await run_in_threadpool(
            container.links.link,
            caller.actor,
            reference[:40],
            kept["other"],
            kept["relation"],
            kept["reason"] or None,
            container.clock(),
        )
    except (DomainError, PermissionError) as error:
        status, errors = _failure(error)
        if not _htmx(request):
            return await run_in_threadpool(
                render, request, "links_refused.html", caller, status, errors=errors, back=back
            )
        return await run_in_threadpool(
            _links_panel, request, caller, reference[:40], back, status, errors, kept, compact
        )
    if made["closed"]:
        # The call is now a duplicate: the work continues on the first incident.
        target = f"/incidents/{made['other']}"
        if _htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if _htmx(request):
        return await run_in_threadpool(
            _links_panel, request, caller, reference[:40], back, 200, None, None, compact
        )
    return RedirectResponse(back, status_code=303)


# ---- the incident log --------------------------------------------------------------------------


def _log_panel(
    request: Request,
    caller: Caller,
    reference: str,
    back: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    kept: str = "",
) -> HTMLResponse:
    container = container_of(request)
    entries = container.incident_log.entries(caller.actor, reference, container.clock())
    return render(
        request,
        "_incident_log.html",
        caller,
        status,
        reference=reference,
        entries=entries,
        back=back,
        errors=errors or {},
        kept=kept,
    )


@router.get("/incidents/{reference}/log/panel")
def log_panel(request: Request, reference: str, caller: PageCaller, back: str = "") -> HTMLResponse:
    """The incident's log entries and the form to add one."""
    return _log_panel(request, caller, reference[:40], _back(back, reference[:40]))


@router.post("/incidents/{reference}/log")
async def add_to_log(request: Request, reference: str, caller: PageCaller) -> Response:
    container = container_of(request)
    form = await request.form()
    text = _text(form, "text")
    back = _back(_text(form, "back"), reference[:40])
    try:
        await run_in_threadpool(
            container.incident_log.add, caller.actor, reference[:40], text, container.clock()
        )
    except (DomainError, PermissionError) as error:
        status, errors = _failure(error)
        if not _htmx(request):
            return await run_in_threadpool(
                render, request, "links_refused.html", caller, status, errors=errors, back=back
            )
        return await run_in_threadpool(
            _log_panel, request, caller, reference[:40], back, status, errors, text
        )
    if _htmx(request):
        return await run_in_threadpool(_log_panel, request, caller, reference[:40], back)
    return RedirectResponse(back, status_code=303)


# ---- incident search ---------------------------------------------------------------------------


def _number(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else default


@router.get("/incidents/search")
def search_page(request: Request, caller: PageCaller) -> HTMLResponse:
    """The search form; with criteria, one page of results and how many there are."""
    container = container_of(request)
    params = request.query_params
    raw = {name: params.get(name, "")[:LONGEST] for name in FIELDS}
    searched = any(raw.values()) or "go" in params
    given = {name: value for name, value in raw.items() if value}
    context: dict[str, Any] = {
        "raw": raw,
        "errors": {},
        "found": None,
        "statuses": [s.value for s in Status],
        "page_url": lambda page: "/incidents/search?" + urlencode({**given, "go": "1", "page": page}),
    }
    status = 200
    if searched:
        try:
            context["found"] = container.incident_search.search(
                caller.actor,
                raw,
                container.clock(),
                _number(params.get("page"), 1),
                _number(params.get("page_size"), DEFAULT_PAGE_SIZE),
            )
        except (DomainError, PermissionError) as error:
            status, context["errors"] = _failure(error)
    elif not can(caller.actor.role, Permission.SEARCH_INCIDENTS):
        status, context["errors"] = 403, {"form": "your role may not search incidents"}
    return render(request, "incident_search.html", caller, status, **context)
