"""The foundation's HTTP surface through the ASGI app, with its lifespan, against real servers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from redis.asyncio import Redis

from cad.settings import Settings
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from service.app import create_app


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    answer = ready.json()
    assert (answer["status"], answer["checks"]) == ("ready", {"redis": True, "mqtt": True})
    assert answer["unhealthy_tasks"] == []
    # Every long-lived task runs supervised, and each one's health is in the answer.
    supervised = {"mqtt-link", "intake-session", "avl-workers", "avl-worker-0", "ack-watch",
                  "tasking-resend", "geo-compaction", "queue-sweep", "alarm-scan",
                  "interop-outbox"}  # fmt: skip
    assert set(answer["tasks"]) == supervised
    assert all(task["healthy"] for task in answer["tasks"].values())


async def test_not_ready_when_redis_is_unreachable(settings: Settings) -> None:
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    application = create_app(unreachable)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://cad.test") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] is False


@pytest.mark.topologies("single", "cluster")
async def test_record_a_call_over_http_then_read_the_incident(
    client: httpx.AsyncClient, redis: Redis, scripts: DispatchScripts
) -> None:
    unit = Unit(callsign="CW60", area="CW", base_lon=-0.13, base_lat=51.51)
    await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    body = {
        "call_id": "http-1",
        "received_at": datetime.now(UTC).isoformat(),
        "source": "999",
        "location": {"lon": -0.1281, "lat": 51.508},
        "incident_type": "missing_person_high_risk",
        "grade": "I",
    }
    created = await client.post("/v1/calls", json=body)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["outcome"] == "created"
    assert answer["dispatch"] == {"outcome": "claimed", "units": ["CW60"]}
    assert answer["location"]["point"]["borough"] == "Westminster"
    ref = answer["incident"]["incident"]["ref"]
    again = (await client.post("/v1/calls", json=body)).json()
    assert again["outcome"] == "replayed"
    assert again["incident"]["incident"]["ref"] == ref
    assert again["dispatch"] is None
    read = await client.get(f"/v1/incidents/{ref}")
    assert read.status_code == 200
    assert read.json()["incident"]["units"] == ["CW60"]


async def test_unknown_incident_is_404_and_bad_call_is_422_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/v1/incidents/CAD 9999/01JAN26")
    assert missing.status_code == 404
    assert "no incident" in missing.json()["detail"]
    bad = await client.post("/v1/calls", json={"call_id": "x", "location": {"lon": 0, "lat": 99}})
    assert bad.status_code == 422
    fields = {tuple(err["loc"]) for err in bad.json()["detail"]}
    assert ("body", "location", "lat") in fields
    assert ("body", "received_at") in fields
