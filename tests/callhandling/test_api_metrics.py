"""`/metrics` through the app with its lifespan, against real Redis."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis

from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from tests.cad.test_metrics import samples_of


async def test_metrics_show_calls_taken_and_the_units_in_redis(
    client: httpx.AsyncClient, redis: Redis, scripts: DispatchScripts
) -> None:
    for callsign in ("CW61", "CW62"):
        unit = Unit(callsign=callsign, area="CW", base_lon=-0.13, base_lat=51.51)
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    body = {
        "call_id": "metrics-1", "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": -0.1281, "lat": 51.508}, "incident_type": "violence", "grade": "I",
    }  # fmt: skip
    assert (await client.post("/v1/calls", json=body)).status_code == 201
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = samples_of(response.text)
    assert samples[("cad_calls_total", (("channel", "http"), ("outcome", "created")))] == 1
    assert samples[("cad_call_intake_seconds_count", (("channel", "http"),))] == 1
    # The violence plan sends two units: both of the area's units are committed.
    assert samples[("cad_units", (("area", "CW"), ("status", "assigned")))] == 2
    assert samples[("cad_open_incidents", (("area", "CW"),))] == 1
