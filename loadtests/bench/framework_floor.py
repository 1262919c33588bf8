"""Scenario 5's second baseline: the framework's share of `POST /v1/calls`, and nothing else.

The service's middlewares, token check, body validation and answer (built by the route's own
`recorded_answer` from one intake result made at start-up); no geo and no Redis. Its rate bounds
what the route could reach on this stack, whatever the intake cost.
Run as `python -m loadtests.bench.framework_floor PORT [ROUND_TRIPS]`, with the service's
settings in the environment; with ROUND_TRIPS, each call also makes that many round trips to the
configured Redis through the service's client (a batch of three GETs each), the floor of the
intake's own I/O (`loadtests/bench/http_parts.py`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
from transport.redis_client import open_redis
from transport.redis_types import AsyncRedis
from transport.scripts import Batch

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


def floor_app(settings: Settings, round_trips: int = 0) -> FastAPI:
    """The call route's framework work: auth, validation, the answer; the service's middlewares;
    and `round_trips` round trips to Redis a call."""
    redis: list[AsyncRedis] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if round_trips:
            redis.append(open_redis(settings))
        yield
        for client in redis:
            await client.aclose()

    app = FastAPI(lifespan=lifespan)
    app.state.auth = auth_state(settings)
    result = _intake_result()
    location = describe_location(_LON, _LAT, None)

    @app.post("/v1/calls", status_code=201)
    async def record_call(
        caller: CallHandling, call: CallIn, auto_link: bool = Query(default=False)
    ) -> CallRecorded:
        for _ in range(round_trips):
            batch = Batch()
            for key in ("floor:a", "floor:b", "floor:c"):
                batch.command(str, "GET", key)
            await batch.run(redis[0])
        return recorded_answer(call, location, result, now_ms=int(time.time() * 1000))

    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app


def main() -> None:
    """Serve on 127.0.0.1:PORT until SIGTERM, as the trivial endpoint is served."""
    round_trips = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    serve(floor_app(get_settings(), round_trips), int(sys.argv[1]))


if __name__ == "__main__":
    main()
