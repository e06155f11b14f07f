"""The units API beside assigning and moving: a unit's last known position, and backup
requests on an incident (several units per incident)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, Field, StrictInt, field_validator

from thriives.adapters.web.dispatch_api import (
    CHANGE,
    CallSign,
    Code,
    Reason,
    Reference,
    Strict,
    in_utc,
    iso_text,
)
from thriives.adapters.web.identity import Caller, api_caller, container_of

router = APIRouter(prefix="/api/v1", tags=["dispatch"])
CallerDep = Annotated[Caller, Depends(api_caller)]
Degrees = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-180, le=180)]  # a JSON int is fine too


class PositionIn(Strict):
    latitude: Degrees | None = Field(None, description="With longitude, or neither (position unknown)")
    longitude: Degrees | None = Field(None, description="With latitude, or neither")
    at: AwareDatetime | None = Field(
        None, strict=False, description="When the unit was there (ISO 8601 with zone); now if not given"
    )

    _text = field_validator("at", mode="before")(iso_text)
    _utc = field_validator("at")(in_utc)


class PositionOut(BaseModel):
    call_sign: str
    latitude: float | None
    longitude: float | None
    position_at: datetime | None


@router.post("/units/{call_sign}/position", response_model=PositionOut, responses=CHANGE)
def report_position(
    call_sign: CallSign, body: PositionIn, caller: CallerDep, request: Request
) -> dict[str, Any]:
    """The unit's last known position (within the UK; time not in the future).
    Recommendations measure from it while it is recent, otherwise from the unit's station."""
    container = container_of(request)
    lat = float(body.latitude) if body.latitude is not None else None
    lon = float(body.longitude) if body.longitude is not None else None
    return container.dispatch.units.report_position(
        caller.actor, call_sign, lat, lon, body.at, container.clock()
    )


class BackupIn(Strict):
    units: Annotated[StrictInt, Field(ge=1, le=50, description="How many further units")]
    skills: list[Code] = Field(default_factory=list, max_length=20, description="Skills wanted of them")
    reason: Reason


class BackupCancelIn(Strict):
    reason: Reason


class BackupOut(BaseModel):
    id: int
    status: str = Field(description="open, satisfied or cancelled")
    units: int
    skills: list[str]
    skill_labels: list[str]
    reason: str
    requested_at: datetime
    requested_by: str
    sent: list[str] = Field(description="Units assigned since the request")
    still_wanted: int


@router.post("/incidents/{reference}/backup", response_model=BackupOut, responses=CHANGE)
def request_backup(
    reference: Reference, body: BackupIn, caller: CallerDep, request: Request
) -> dict[str, Any]:
    """Ask for further units on an incident; the board marks it until enough are assigned."""
    container = container_of(request)
    return container.dispatch.units.request_backup(
        caller.actor, reference, body.units, body.skills, body.reason, container.clock()
    )


@router.post("/incidents/{reference}/backup/cancel", response_model=BackupOut, responses=CHANGE)
def cancel_backup(
    reference: Reference, body: BackupCancelIn, caller: CallerDep, request: Request
) -> dict[str, Any]:
    """Withdraw the incident's open backup request, with the reason."""
    container = container_of(request)
    return container.dispatch.units.cancel_backup(caller.actor, reference, body.reason, container.clock())
