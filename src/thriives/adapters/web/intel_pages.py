"""The intelligence panel on the assessment screen, and the record of it on the incident page.

While the caller is on the line the handler types what they have; htmx posts the search form
(a form of its own, outside the assessment form) a moment after each change and swaps the
ranked matches in below it. A refused term comes back next to its field as an out-of-band
swap, so what was typed stays as typed and the cursor stays where it was. Attaching a person
answers with the ``intel-attached`` event (``HX-Trigger``): the Attached list and the grade
proposal listen for it and refresh, so a marker's raise of a factor shows at once.

Without JavaScript the same forms post normally: a search renders a page of its own, an
attach goes back to the assessment.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.identity import Caller, container_of, page_caller
from thriives.adapters.web.pages import render
from thriives.domain.errors import DomainError
from thriives.domain.intel import LinkRole
from thriives.services.intel import TERMS

router = APIRouter(include_in_schema=False)
PageCaller = Annotated[Caller, Depends(page_caller)]
LONGEST = 10_000  # no term is read beyond this; the domain's own limits are lower
ATTACHED = "intel-attached"  # the event the Attached list and the proposal listen for
ROLES = tuple(role.value for role in LinkRole)
MarkerId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _bounded(terms: dict[str, str]) -> None:
    """Refuse a term too long to be anything a caller said, before any rule reads it."""
    for name, value in terms.items():
        if len(value) > LONGEST:
            raise DomainError(f"is {len(value)} characters long; far too long to search by", name)


def _number(raw: str, field: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) < 2**63:
        raise DomainError("is not a record number", field)
    return int(raw)


@router.post("/incidents/{reference}/intel/search")
async def search(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    """Search as the handler types: the matches, or the term at fault named by its field."""
    container = container_of(request)
    form = await request.form()
    terms = {name: _text(form, name) for name in TERMS}
    context: dict[str, Any] = {"intel_reference": reference[:40], "intel_terms": terms, "intel_errors": {}}
    status = 200
    try:
        _bounded(terms)
        result = await run_in_threadpool(
            container.intel.search, caller.actor, dict(terms), container.clock(), reference[:40]
        )
    except DomainError as error:
        status = error.status
        context["intel_errors"] = {error.field or "form": error.message}
    except PermissionError as error:
        status = 403
        context["intel_errors"] = {"form": str(error)}
    else:
        context["intel_result"] = result
    if _htmx(request):
        return render(request, "_intel_results.html", caller, status, intel_oob=True, roles=ROLES, **context)
    return render(
        request, "_intel_page.html", caller, status, inner="_intel_search.html", roles=ROLES, **context
    )


@router.post("/incidents/{reference}/intel/attach")
async def attach(request: Request, reference: str, caller: PageCaller) -> Response:
    """Attach a person found by a search to the incident; the proposal and list then refresh."""
    container = container_of(request)
    form = await request.form()
    role = _text(form, "role")
    try:
        person_id = _number(_text(form, "person_id"), "person_id")
        search_id = _number(_text(form, "search_id"), "search_id") if _text(form, "search_id") else None
        attached = await run_in_threadpool(
            container.intel.attach,
            caller.actor,
            reference[:40],
            person_id,
            role,
            container.clock(),
            search_id,
        )
    except (DomainError, PermissionError) as error:
        status = getattr(error, "status", 403)
        message = getattr(error, "message", str(error))
        field = getattr(error, "field", None)
        text = f"Not attached: {field.replace('_', ' ') + ' ' if field else ''}{message}"
        return render(request, "_intel_status.html", caller, status, message=text, failed=True)
    if not _htmx(request):
        return RedirectResponse(f"/incidents/{reference[:40]}/assess", status_code=303)
    done = "Attached" if attached["added"] else "Already attached"
    response = render(request, "_intel_status.html", caller, message=f"{done} as {attached['role']}.")
    response.headers["HX-Trigger"] = ATTACHED
    return response


@router.get("/incidents/{reference}/intel/attached")
def attached(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    """The people attached to the incident, as the assessment screen lists them."""
    container = container_of(request)
    record = container.intel.record(caller.actor, reference[:40], container.clock())
    return render(request, "_intel_attached.html", caller, links=record["links"])


@router.get("/incidents/{reference}/intel/panel")
def record_panel(request: Request, reference: str, caller: PageCaller) -> HTMLResponse:
    """For the incident page: every search made on the call (who, when, what, how many
    found) and the people attached, for a supervisor reading the record later."""
    container = container_of(request)
    record = container.intel.record(caller.actor, reference[:40], container.clock())
    return render(request, "_intel_record.html", caller, record=record, reference=reference[:40])


@router.post("/intel/markers/{marker_id}/open")
async def open_marker(request: Request, marker_id: MarkerId, caller: PageCaller) -> HTMLResponse:
    """A restricted marker in full, for roles that may see it, once a reason is given."""
    container = container_of(request)
    form = await request.form()
    context: dict[str, Any] = {"marker_id": marker_id, "errors": {}, "opened": None}
    status = 200
    why = _text(form, "justification")
    try:
        _bounded({"justification": why})
        context["opened"] = await run_in_threadpool(
            container.intel.open_marker, caller.actor, marker_id, why, container.clock()
        )
    except DomainError as error:
        status = error.status
        context["errors"] = {error.field or "form": error.message}
    except PermissionError as error:
        status = 403
        context["errors"] = {"form": str(error)}
    if _htmx(request):
        return render(request, "_intel_marker.html", caller, status, intel_oob=True, **context)
    back = _text(form, "back")
    back = back if back.startswith("/") and not back.startswith("//") else "/"
    return render(
        request, "_intel_page.html", caller, status, inner="_intel_marker.html", back=back, **context
    )
