"""The follow-up screen: the call-back or referral a call resolved without deployment is
owed, when it is due, and the small form that records how it ended. A refused form comes
back with the message next to the field and everything typed kept."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.assessment_pages import FormView
from thriives.adapters.web.identity import Caller, container_of, page_caller
from thriives.adapters.web.pages import render
from thriives.adapters.web.reassessment_pages import refused

router = APIRouter(include_in_schema=False)
PageCaller = Annotated[Caller, Depends(page_caller)]
FollowUpId = Annotated[int, Path(ge=1, le=2**63 - 1)]
FIELDS = ("outcome", "agency", "note")


def _page(
    request: Request, caller: Caller, follow_up_id: int, status: int, form: FormView, errors: dict[str, str]
) -> HTMLResponse:
    container = container_of(request)
    follow_up = container.follow_ups.get(caller.actor, follow_up_id)
    context: dict[str, Any] = {
        "follow_up": follow_up,
        "outcomes": container.follow_ups.policy.outcomes,
        "overdue": container.clock() >= follow_up["due_at"],
    }
    return render(request, "follow_up.html", caller, status, form=form, errors=errors, **context)


@router.get("/follow-ups/{follow_up_id}")
def follow_up_page(request: Request, follow_up_id: FollowUpId, caller: PageCaller) -> HTMLResponse:
    return _page(request, caller, follow_up_id, 200, FormView({}), {})


@router.post("/follow-ups/{follow_up_id}")
async def complete(request: Request, follow_up_id: FollowUpId, caller: PageCaller) -> Response:
    container = container_of(request)
    data = await request.form()
    form = FormView({key: [str(v) for v in data.getlist(key)] for key in data})
    try:
        await run_in_threadpool(
            container.follow_ups.complete,
            caller.actor,
            follow_up_id,
            form.get("outcome") or None,
            form.get("agency") or None,
            form.get("note") or None,
            container.clock(),
        )
    except Exception as error:  # noqa: BLE001 - refused() re-raises anything not a refusal
        status, errors = refused(error, FIELDS)
        return await run_in_threadpool(_page, request, caller, follow_up_id, status, form, errors)
    return RedirectResponse(f"/follow-ups/{follow_up_id}", status_code=303)  # shows what was recorded
