"""Live endpoints: the event stream (SSE) and its polling twin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web.feed import EventFeed, board_message, sse_message
from thriives.adapters.web.identity import Caller, api_caller, container_of
from thriives.adapters.web.problems import problem_responses
from thriives.domain.accounts import Permission, require

router = APIRouter(prefix="/api/v1", tags=["live"])


class FeedEvent(BaseModel):
    id: int
    at: str
    kind: str
    reference: str | None
    status: str | None


def feed_of(request: Request) -> EventFeed:
    feed: EventFeed = request.app.state.feed
    return feed


@router.get(
    "/events/stream",
    responses={
        200: {"description": "text/event-stream of incident events", "content": {"text/event-stream": {}}}
    }
    | problem_responses(401, 403, 422),
)
async def event_stream(
    request: Request,
    caller: Annotated[Caller, Depends(api_caller)],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> EventSourceResponse:
    """Server-Sent Events; resumes after ``Last-Event-ID`` (or ``after``) with nothing lost."""
    require(caller.actor.role, Permission.VIEW_QUEUE)
    start = after
    if last_event_id is not None and last_event_id.isdigit():
        start = int(last_event_id)
    feed = feed_of(request)
    await feed.start()

    async def frames() -> AsyncIterator[dict[str, Any]]:
        async for row in feed.stream(start):
            yield sse_message(row)

    return EventSourceResponse(frames(), ping=15, send_timeout=30)


@router.get(
    "/board/stream",
    responses={
        200: {
            "description": "text/event-stream of ``board`` frames, each a batch of events",
            "content": {"text/event-stream": {}},
        }
    }
    | problem_responses(401, 403, 422),
)
async def board_stream(
    request: Request,
    caller: Annotated[Caller, Depends(api_caller)],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> EventSourceResponse:
    """The live board's stream: every event, batched per poll, resuming after
    ``Last-Event-ID`` (or ``after``) with nothing lost. Each frame's data is
    ``{"events": [{"id", "kind", "at", "reference", "status"}, ...]}``."""
    require(caller.actor.role, Permission.VIEW_QUEUE)
    start = after
    if last_event_id is not None and last_event_id.isdigit():
        start = int(last_event_id)
    feed = feed_of(request)
    await feed.start()

    async def frames() -> AsyncIterator[dict[str, Any]]:
        async for batch in feed.batches(start):
            yield board_message(batch)

    return EventSourceResponse(frames(), ping=15, send_timeout=30)


@router.get("/events", response_model=list[FeedEvent], responses=problem_responses(401, 403, 422))
async def events_after(
    request: Request,
    caller: Annotated[Caller, Depends(api_caller)],
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[FeedEvent]:
    require(caller.actor.role, Permission.VIEW_QUEUE)
    container = container_of(request)

    def fetch() -> list[dict[str, Any]]:
        with container.uow() as uow:
            return uow.journal.feed_after(after, limit)

    rows = await run_in_threadpool(fetch)
    return [
        FeedEvent(
            id=r["id"], at=r["at"].isoformat(), kind=r["kind"], reference=r["reference"], status=r["status"]
        )
        for r in rows
    ]
