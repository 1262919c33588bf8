"""Alarms over HTTP: the list (any role) and a supervisor's acknowledgement."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cad.alarm_record import ALARM_ID_PATTERN, Alarm, AlarmState, Severity
from cad.errors import ConflictError, NotFoundError
from cad.tokens import Role
from service.api.deps import RuntimeDep
from service.api.error_docs import AUTHENTICATED, POSTED, UNAVAILABLE, documented
from service.auth.deps import Caller, Reading, require

router = APIRouter(prefix="/v1/alarms", tags=["alarms"])
Supervising = Annotated[Caller, Depends(require(Role.SUPERVISOR))]

_EXAMPLE: dict[str, Any] = {
    "schema_version": 1, "alarm_id": "queue_age-3f2a9c0d1e4b5a6f", "kind": "queue_age",
    "severity": "critical", "state": "raised", "area": "CW", "ref": "CAD 0042/04DEC26",
    "detail": "I incident pending 1260s (limit 1200s)", "raised_at": "2026-12-04T06:12:00Z",
}  # fmt: skip


class AlarmList(BaseModel):
    """Alarms, the most recently raised first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"alarms": [_EXAMPLE]}]})

    alarms: list[Alarm]


class AckIn(BaseModel):
    """Acknowledge an alarm, with a note if wanted (the body may be left out)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "CW supervisor aware, on it"}]}
    )

    note: Annotated[str | None, Field(max_length=2_000)] = None


# The body is optional: its examples go on the request itself (AckIn's sit under an anyOf).
_AckBody = Annotated[
    AckIn | None,
    Body(
        openapi_examples={
            "note": {"summary": "with a note", "value": {"note": "CW supervisor aware, on it"}},
            "empty": {"summary": "no note", "value": {}},
        }
    ),
]
_AlarmId = Annotated[
    str, Path(pattern=ALARM_ID_PATTERN, max_length=64, examples=[_EXAMPLE["alarm_id"]])
]


@router.get("", responses=documented(*AUTHENTICATED, UNAVAILABLE))
async def list_alarms(
    _: Reading,
    runtime: RuntimeDep,
    state: Annotated[AlarmState | None, Query(description="only alarms in this state")] = None,
    severity: Annotated[Severity | None, Query(description="only this severity")] = None,
    area: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,16}$")] = None,
    limit: Annotated[int, Query(ge=1, le=2_000)] = 200,
) -> AlarmList:
    """Raised, acknowledged and (for CAD_ALARM_RETENTION_S) cleared alarms, newest first."""
    states = frozenset({state}) if state is not None else frozenset(AlarmState)
    found = await runtime.alarms.store.listed(
        states=states, severity=severity, area=area, limit=limit
    )
    return AlarmList(alarms=found)


@router.post(
    "/{alarm_id}/ack",
    responses={
        200: {"content": {"application/json": {"example": {**_EXAMPLE, "state": "acknowledged"}}}},
        **documented(*AUTHENTICATED, *POSTED, 404, UNAVAILABLE),
    },
)
async def acknowledge_alarm(
    caller: Supervising, alarm_id: _AlarmId, runtime: RuntimeDep, body: _AckBody = None
) -> Alarm:
    """Acknowledge a raised alarm (appended to the alarm audit with who and the note); again
    changes nothing; 409 once its condition has ended and it is cleared."""
    scanner = runtime.alarms
    answer = await scanner.store.acknowledge(
        alarm_id, now_ms=int(time.time() * 1000), actor=caller.actor,
        note=body.note if body else None,
    )  # fmt: skip
    if answer.outcome == "missing":
        raise NotFoundError(f"alarm_id: no alarm {alarm_id!r}")
    alarm = Alarm.from_hash(answer.fields)
    if answer.outcome == "cleared":
        raise ConflictError(f"alarm_id: alarm {alarm_id!r} is cleared already")
    if answer.outcome == "acknowledged":
        await scanner.tell(alarm)
    return alarm
