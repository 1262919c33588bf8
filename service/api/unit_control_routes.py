"""Control acting on a unit over HTTP: a status set on the crew's behalf, stand down, divert."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cad.events import UnitStatus
from dispatch.unit_control import Left, UnitControl
from service.api.deps import RuntimeDep
from service.api.error_docs import AUTHENTICATED, POSTED, UNAVAILABLE, documented
from service.auth.deps import Dispatching
from service.runtime import Runtime

router = APIRouter(prefix="/v1/units", tags=["units"])
_COMMANDS = documented(*AUTHENTICATED, *POSTED, 404, UNAVAILABLE)
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]


class StatusIn(BaseModel):
    """The status the crew gave (on the radio); the MDT's rules apply."""

    status: UnitStatus
    note: Annotated[str, Field(max_length=500)] = ""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "on_scene", "note": "crew on the radio"}]}
    )


class StatusOut(BaseModel):
    """The unit's status as set, what it was, and its incident."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "callsign": "CW31", "status": "on_scene", "previous": "en_route",
        "incident_ref": "CAD 0042/04DEC26", "unchanged": False,
    }]})  # fmt: skip

    callsign: str
    status: str
    previous: str | None
    incident_ref: str | None
    unchanged: bool


class StandDownIn(BaseModel):
    """Why the unit is taken off its incident (audited, and told to the crew)."""

    reason: Reason

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "no longer required"}]})


class DivertIn(BaseModel):
    """The incident the unit goes to instead, and why."""

    incident_ref: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Reason

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"incident_ref": "CAD 1234/22NOV26", "reason": "nearest to an I grade"}]
        }
    )


class LeftOut(BaseModel):
    """What became of the unit: the incident it left (with how many units it still has; none
    puts it back in the pending queue) and, diverted, its new incident and tasking."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"callsign": "CW31", "previous": "on_scene", "from_ref": "CAD 0042/04DEC26",
         "units_left": 1, "to_ref": None, "tasking_id": None},
        {"callsign": "CW32", "previous": "en_route", "from_ref": "CAD 0041/04DEC26",
         "units_left": 0, "to_ref": "CAD 0042/04DEC26",
         "tasking_id": "e9b9ff039364415f38d08c288eddce4d"},
    ]})  # fmt: skip

    callsign: str
    previous: str
    from_ref: str
    units_left: int
    to_ref: str | None
    tasking_id: str | None


def control(runtime: Runtime) -> UnitControl:
    """Control's commands to units, on the runtime's Redis and broker link."""
    return UnitControl(runtime.redis, runtime.scripts, runtime.link, runtime.topics)


def _left(left: Left) -> LeftOut:
    return LeftOut(
        callsign=left.callsign, previous=left.previous, from_ref=left.from_ref,
        units_left=left.units_left, to_ref=left.to_ref, tasking_id=left.tasking_id,
    )  # fmt: skip


@router.post("/{callsign}/status", responses=_COMMANDS)
async def set_unit_status(
    caller: Dispatching, callsign: str, body: StatusIn, runtime: RuntimeDep
) -> StatusOut:
    """Set a unit's status on its crew's behalf (the MDT's transition rules; 409 names the
    illegal transition). Audited as the dispatcher on behalf of the unit; the MDT is told on
    `cad/units/{callsign}/notice`."""
    change = await control(runtime).set_status(
        callsign, body.status, actor=caller.actor, note=body.note
    )
    return StatusOut(
        callsign=callsign, status=body.status.value, previous=change.previous,
        incident_ref=change.incident_ref, unchanged=change.unchanged,
    )  # fmt: skip


@router.post("/{callsign}/stand-down", responses=_COMMANDS)
async def stand_down_unit(
    caller: Dispatching, callsign: str, body: StandDownIn, runtime: RuntimeDep
) -> LeftOut:
    """Take a unit off its incident: it becomes available; an incident left with no unit goes
    back to the pending queue (not closed). 409 for a unit committed to nothing, or lent to
    another area."""
    left = await control(runtime).stand_down(callsign, actor=caller.actor, reason=body.reason)
    return _left(left)


@router.post("/{callsign}/divert", responses=_COMMANDS)
async def divert_unit(
    caller: Dispatching, callsign: str, body: DivertIn, runtime: RuntimeDep
) -> LeftOut:
    """Move a unit from its incident to another of its area in one step: the MDT gets a
    stand-down notice for the old tasking and the new tasking (acknowledged as any other).
    409 for a unit committed to nothing, a final target, or units and incidents of other areas
    (a unit goes there only on loan: dispatch the incident)."""
    left = await control(runtime).divert(
        callsign, body.incident_ref, actor=caller.actor, reason=body.reason
    )
    return _left(left)
