"""Recording calls over HTTP: the same intake as MQTT call events."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from cad.events import utcnow
from callhandling.candidates_preview import preview_candidates
from callhandling.clocks import clocks
from callhandling.duplicates import CallFacts
from callhandling.intake import IntakeResult
from callhandling.jurisdiction import jurisdiction_at
from service.api.deps import RuntimeDep
from service.api.error_docs import AUTHENTICATED, POSTED, UNAVAILABLE, documented
from service.api.field_refusal import refuse_field
from service.api.geo_api import LocateResponse, locate_point, location_answer
from service.api.schemas import (
    CallIn,
    CallRecorded,
    CandidateOut,
    CandidatesOut,
    DispatchSummary,
    IncidentView,
)
from service.auth.deps import CallHandling

router = APIRouter(prefix="/v1/calls", tags=["calls"])


@router.post("", status_code=201, responses=documented(*AUTHENTICATED, *POSTED, UNAVAILABLE))
async def record_call(
    caller: CallHandling,
    call: CallIn,
    runtime: RuntimeDep,
    auto_link: bool = Query(
        default=False, description="link to the best open incident above the configured score"
    ),
) -> CallRecorded:
    """Record a call: where it is, the open incidents it may be about, and what became of it.

    Without `auto_link` a call opens its own incident and the handler links it if it is a
    duplicate (`POST /v1/incidents/{ref}/links`). Replaying a call changes nothing and answers
    with its incident; a different call under a call_id already recorded (in any area) changes
    nothing either and is refused with 409, naming each field that differs.
    """
    started = time.perf_counter()
    refused = runtime.intake.clock_bounds.refusal("received_at", call.received_at, now=utcnow())
    if refused is not None:
        # Refused as the body's own fields are: a 422 naming where it was and why.
        error = {"loc": ("body", "received_at"), "msg": refused, "type": "value_error",
                 "input": call.received_at.isoformat()}  # fmt: skip
        raise RequestValidationError([error])
    unknown = runtime.intake.catalogue.type_refusal(call.incident_type)
    if unknown is not None:
        refuse_field("incident_type", unknown, call.incident_type)
    loc = call.location
    located = locate_point(loc.lon, loc.lat, loc.radius_m)
    result = await runtime.intake.accept(
        call, actor=caller.actor, auto_link=auto_link, area=located.point.nearest_bcu,
        where=jurisdiction_at(located.point, located.circle, runtime.settings),
    )  # fmt: skip
    runtime.metrics.observe_call("http", result.outcome.value, time.perf_counter() - started)
    return recorded_answer(call, location_answer(located), result, now_ms=int(time.time() * 1000))


# As many as a recorded call's answer lists.
_CANDIDATES_SHOWN = 5


@router.get("/candidates", responses=documented(*AUTHENTICATED, UNAVAILABLE))
async def call_candidates(
    _: CallHandling,
    runtime: RuntimeDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="WGS84")],
    lat: Annotated[float, Query(ge=-85.05112878, le=85.05112878, description="WGS84")],
    radius_m: Annotated[
        float | None, Query(ge=0, le=50_000, description="uncertainty, metres (AML)")
    ] = None,
    incident_type: Annotated[
        str | None, Query(min_length=1, max_length=64, description="from the catalogue")
    ] = None,
) -> CandidatesOut:
    """The open incidents a call being taken may be about, scored as `POST /v1/calls` scores
    them (location, time, type), best first: a handler sees them while typing, before the call
    is recorded. Nothing is recorded."""
    unknown = runtime.intake.catalogue.type_refusal(incident_type)
    if unknown is not None:
        refuse_field("incident_type", unknown, incident_type, where="query")
    area = locate_point(lon, lat, radius_m).point.nearest_bcu
    now_ms = int(time.time() * 1000)
    facts = CallFacts(lon, lat, radius_m, now_ms, incident_type, cli_hash=None)
    found = await preview_candidates(
        runtime.redis, area=area, facts=facts, search_m=runtime.settings.duplicate_search_m,
        limit=_CANDIDATES_SHOWN,
    )  # fmt: skip
    return CandidatesOut(
        area=area,
        candidates=[
            CandidateOut(ref=c.ref, score=c.score, distance_m=c.distance_m, reasons=list(c.reasons))
            for c in found
        ],
    )


def recorded_answer(
    call: CallIn, location: LocateResponse, result: IntakeResult, *, now_ms: int
) -> CallRecorded:
    """The answer to a recorded call: where it is, its incident with the clocks, the candidates."""
    claim = result.claim
    return CallRecorded(
        call_id=call.call_id,
        outcome=result.outcome.value,
        location=location,
        incident=IncidentView(
            incident=result.incident,
            clocks=clocks(result.incident, now_ms=now_ms, best_eta_s=None),
        ),
        candidates=[
            CandidateOut(ref=c.ref, score=c.score, distance_m=c.distance_m, reasons=list(c.reasons))
            for c in result.candidates
        ],
        dispatch=None
        if claim is None
        else DispatchSummary(outcome=claim.outcome.value, units=[u.callsign for u in claim.units]),
    )
