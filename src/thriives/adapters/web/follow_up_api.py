"""The follow-up API: the call-back or referral a call resolved without deployment is owed,
listed soonest due first, and completed with its outcome (part of dispatch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from thriives.adapters.web.dispatch_api import CHANGE, READ, CallerDep, Code, PathId, Strict, Text
from thriives.adapters.web.identity import container_of
from thriives.adapters.web.problems import problem_responses

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


class FollowUpOut(BaseModel):
    id: int
    reference: str
    status: str = Field(description="open, done or cancelled")
    grade: str = Field(description="The grade that called for it")
    opened_at: datetime
    opened_by: str
    due_at: datetime
    escalations: int = Field(description="How many times the supervisor was told it is overdue")
    done_at: datetime | None
    done_by: str | None
    outcome: str | None = Field(description="called_back, referred or no_contact (policy)")
    agency: str | None = Field(description="The agency referred to")
    note: str | None


@router.get("/follow-ups", response_model=list[FollowUpOut], responses=problem_responses(401, 403))
def open_follow_ups(caller: CallerDep, request: Request) -> list[dict[str, Any]]:
    """Open follow-ups, the soonest due first."""
    return container_of(request).follow_ups.open(caller.actor)


@router.get("/follow-ups/{follow_up_id}", response_model=FollowUpOut, responses=READ)
def view_follow_up(follow_up_id: PathId, caller: CallerDep, request: Request) -> dict[str, Any]:
    return container_of(request).follow_ups.get(caller.actor, follow_up_id)


class FollowUpDoneIn(Strict):
    outcome: Code = Field(description="How it ended: called_back, referred or no_contact (policy)")
    agency: Text | None = Field(None, description="Required for a referral: the agency referred to")
    note: Text | None = None


@router.post("/follow-ups/{follow_up_id}/complete", response_model=FollowUpOut, responses=CHANGE)
def complete_follow_up(
    follow_up_id: PathId, body: FollowUpDoneIn, caller: CallerDep, request: Request
) -> dict[str, Any]:
    """Record how a follow-up ended; a referral names the agency."""
    container = container_of(request)
    return container.follow_ups.complete(
        caller.actor, follow_up_id, body.outcome, body.agency, body.note, container.clock()
    )
