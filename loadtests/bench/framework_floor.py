"""Scenario 5's second baseline: the framework's share of `POST /v1/calls`, and nothing else.

The service's middlewares, token check, body validation and answer (built by the route's own
`recorded_answer` from one intake result made at start-up); no geo and no Redis. Its rate bounds
what the route could reach on this stack, whatever the intake cost.
Run as `python -m loadtests.bench.framework_floor PORT`, with the service's settings in the
environment.
"""

from __future__ import annotations

import sys
import time

from fastapi import FastAPI, Query

from cad.events import CallEvent, CallSource, Location, utcnow
from cad.incident_record import IncidentRecord, new_incident_fields
from cad.settings import Settings, get_settings
from callhandling.duplicates import CallFacts, OpenIncident, rank_candidates
from callhandling.incidents import Outcome
from callhandling.intake import IntakeResult
from loadtests.bench.trivial_app import serve
from service.api.body_limit import BodyLimitMiddleware
from service.api.call_routes import recorded_answer
from service.api.geo_api import describe_location
from service.api.idempotency import IdempotencyMiddleware
from service.api.schemas import CallIn, CallRecorded
from service.auth.deps import CallHandling, auth_state

# Charing Cross, with five open incidents near it: an answer the size of a busy area's.
_LON, _LAT = -0.1281, 51.5080


def _intake_result() -> IntakeResult:
    now_ms = int(time.time() * 1000)
    event = CallEvent(
        call_id="floor", received_at=utcnow(), source=CallSource.EMERGENCY_999,
        location=Location(lon=_LON, lat=_LAT),
    )  # fmt: skip
    fields = new_incident_fields(event, area="CW")
    incident = IncidentRecord.from_hash(
        {**fields, "ref": "CAD 0001/01DEC26", "created_ms": str(now_ms), "cli_hashes": ""}
    )
    near = [
        OpenIncident(f"CAD {i:04d}/01DEC26", _LON + i / 1000, _LAT, None, now_ms - i * 60_000,
                     "violence", frozenset())
        for i in range(2, 7)
    ]  # fmt: skip
    candidates = rank_candidates(CallFacts(_LON, _LAT, None, now_ms, None, None), near)
    return IntakeResult(incident, Outcome.CREATED, tuple(candidates), None)


def floor_app(settings: Settings) -> FastAPI:
    """The call route's framework work: auth, validation, the answer; the service's middlewares."""
    app = FastAPI()
    app.state.auth = auth_state(settings)
    result = _intake_result()
    location = describe_location(_LON, _LAT, None)

    @app.post("/v1/calls", status_code=201)
    async def record_call(
        caller: CallHandling, call: CallIn, auto_link: bool = Query(default=False)
    ) -> CallRecorded:
        return recorded_answer(call, location, result, now_ms=int(time.time() * 1000))

    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app


def main() -> None:
    """Serve on 127.0.0.1:PORT until SIGTERM, as the trivial endpoint is served."""
    serve(floor_app(get_settings()), int(sys.argv[1]))


if __name__ == "__main__":
    main()
