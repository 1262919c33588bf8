"""HTTP routes of the foundation: health, readiness, recording a call, reading an incident."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from cad.events import CallEvent
from cad.incident_record import IncidentRecord
from callhandling.deps import IncidentDep, RuntimeDep

router = APIRouter()


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
            "outcome": claim.outcome.value,
            "units": [
                {"callsign": u.callsign, "distance_m": u.distance_m} for u in claim.units
            ],
        },
    }  # fmt: skip


@router.get("/v1/incidents/{ref:path}", tags=["incidents"], responses={404: {}})
async def get_incident(incident: IncidentDep) -> IncidentRecord:
    """One incident by its reference, e.g. `CAD 0001/22NOV26`."""
    return incident
