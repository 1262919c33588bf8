"""HTTP routes of the foundation: health, readiness, recording a call, reading an incident."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from cad.errors import NotFoundError
from cad.events import CallEvent
from cad.incident_record import IncidentRecord
from callhandling.runtime import Runtime
from dispatch.incident_store import find_incident

router = APIRouter()


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


@router.get("/healthz", tags=["ops"])
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"], responses={503: {"description": "Redis or broker down"}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready only when Redis and the broker both answer."""
    checks = await runtime.readiness()
    ready = all(checks.values())
    body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.post("/v1/calls", tags=["calls"], status_code=201)
async def record_call(event: CallEvent, runtime: RuntimeDep) -> dict[str, Any]:
    """Record a call: the same path as MQTT call events; replaying a call_id changes nothing."""
    result = await runtime.intake.accept(event, actor="api")
    claim = result.claim
    return {
        "incident": result.incident.model_dump(),
        "created": result.created,
        "dispatch": None if claim is None else {
            "outcome": claim.outcome.value, "callsign": claim.callsign,
            "distance_m": claim.distance_m,
        },
    }  # fmt: skip


@router.get("/v1/incidents/{ref:path}", tags=["incidents"], responses={404: {}})
async def get_incident(ref: str, runtime: RuntimeDep) -> IncidentRecord:
    """One incident by its reference, e.g. `CAD 0001/22NOV26`."""
    incident = await find_incident(runtime.redis, ref)
    if incident is None:
        raise NotFoundError(f"ref: no incident {ref!r}")
    return incident
