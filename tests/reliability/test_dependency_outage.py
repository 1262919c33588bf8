"""A dependency outage is a 503 with Retry-After and a JSON body naming the dependency, on every
route that needs it, against real servers this test stops: Redis down, loading its AOF, a
read-only replica, a replica cut off from its primary, the broker down."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.settings import Settings, get_settings
from dispatch.scripts import register_scripts
from dispatch.units import Unit, register_unit
from service.servers import EmbeddedServer, redis_server
from tests.cad.test_metrics import samples_of
from tests.conftest import TEST_AUTH_SECRET
from tests.helpers import asgi_client, auth_headers, running_app
from transport.redis_client import open_redis

REF = "CAD 0001/01JAN26"
CALLSIGN = "CW01"
ALARM_ID = "queue_age-0123456789abcdef"
ALERT_ID = "met.police.uk.alert.0b1e6d2c9a4f7e35"
ALERT = {
    "kind": "road_closure", "headline": "Whitehall closed", "description": "An incident.",
    "instruction": "Use another route.",
    "area": {"description": "Whitehall",
             "circle": {"lon": -0.1262, "lat": 51.5045, "radius_m": 100}},
}  # fmt: skip
UNIT = {"callsign": CALLSIGN, "area": "CW", "base_lon": -0.1281, "base_lat": 51.508}
# A plausible request for every operation of the OpenAPI document (a new one must be added here).
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/calls"): {
        "json": {
            "call_id": "outage-1",
            # Recent enough for the service's bounds (CAD_MAX_CALL_AGE_S).
            "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": "999",
            "location": {"lon": -0.1281, "lat": 51.508},
            "incident_type": "violence",
            "grade": "I",
        }
    },
    ("get", "/v1/incidents/{ref}/recommendation"): {},
    ("post", "/v1/incidents/{ref}/dispatch"): {"json": {}},
    ("get", "/v1/incidents"): {"params": {"status": "pending"}},
    ("post", "/v1/incidents/{ref}/grade"): {"json": {"thrive": {"threat": "high"}}},
    ("post", "/v1/incidents/{ref}/links"): {"json": {"call_id": "outage-2"}},
    ("post", "/v1/incidents/{ref}/close"): {"json": {"code": "resolved"}},
    ("post", "/v1/incidents/{ref}/cancel"): {"json": {"note": "caller rang back"}},
    ("post", "/v1/incidents/{ref}/refer"): {"json": {"note": "for the ambulance service"}},
    ("post", "/v1/incidents/{ref}/log"): {"json": {"text": "caller rang back"}},
    ("post", "/v1/incidents/{ref}/location"): {
        "json": {"location": {"lon": -0.141, "lat": 51.501}, "reason": "wrong side"}
    },
    ("post", "/v1/incidents/{ref}/type"): {"json": {"incident_type": "weapons", "reason": "r"}},
    ("get", "/v1/incidents/{ref}/caller"): {},
    ("post", "/v1/incidents/{ref}/result"): {"json": {"code": "arrest", "reason": "r"}},
    ("get", "/v1/incidents/{ref}"): {},
    ("get", "/v1/units"): {},
    ("post", "/v1/units"): {"json": UNIT},
    ("get", "/v1/units/{callsign}"): {},
    ("get", "/v1/units/{callsign}/history"): {},
    ("get", "/v1/audit"): {},
    ("post", "/v1/units/{callsign}/status"): {"json": {"status": "busy"}},
    ("post", "/v1/units/{callsign}/stand-down"): {"json": {"reason": "not needed"}},
    ("post", "/v1/units/{callsign}/divert"): {"json": {"incident_ref": "CAD 1/X", "reason": "r"}},
    ("post", "/v1/incidents/{ref}/transfer"): {"json": {"force": "Kent Police", "note": "n"}},
    ("get", "/healthz"): {},
    ("get", "/readyz"): {},
    ("get", "/metrics"): {},
    ("get", "/v1/geo/locate"): {"params": {"lon": -0.1281, "lat": 51.508}},
    ("get", "/v1/places"): {"params": {"q": "abbey"}},
    ("get", "/v1/events"): {},
    ("get", "/v1/live/boundaries"): {},
    ("get", "/v1/live/streets"): {},
    ("get", "/v1/me"): {},
    ("get", "/v1/calls/candidates"): {"params": {"lon": -0.1281, "lat": 51.508}},
    ("get", "/v1/live/snapshot"): {},
    ("get", "/v1/live/kpis"): {},
    ("get", "/v1/live/incidents/{ref}/chronology"): {},
    ("get", "/v1/alarms"): {},
    ("get", "/v1/incidents/{ref}/eido"): {},
    ("post", "/v1/alerts"): {"json": {"incident_ref": REF, **ALERT}},
    ("post", "/v1/alerts/{alert_id}/update"): {"json": ALERT},
    ("post", "/v1/alerts/{alert_id}/cancel"): {"json": {"note": "reopened"}},
    ("get", "/v1/alerts/{alert_id}.xml"): {},
    ("post", "/v1/alarms/{alarm_id}/ack"): {"json": {"note": "seen"}},
    ("get", "/v1/reports/kpis"): {
        "params": {"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"}
    },
}
# What answers without Redis: liveness, and the geography the process holds in memory.
NEEDS_NO_REDIS = {
    "/healthz", "/v1/geo/locate", "/v1/places", "/v1/live/boundaries", "/v1/live/streets", "/v1/me",
}  # fmt: skip
# What needs the history store, which these apps are not given, and names it first (tests/history
# has it down; the KPI report needs Redis too).
HISTORY_ONLY = {"/v1/audit", "/v1/units/{callsign}/history", "/v1/reports/kpis"}


def outage_settings(redis: EmbeddedServer, broker: EmbeddedServer) -> Settings:
    """The app against this test's own servers, quick to give up on either."""
    unique = uuid.uuid4().hex[:8]
    return get_settings(
        redis_url=redis.url, mqtt_url=broker.url, topic_root=f"outage-{unique}/cad",
        mqtt_client_id=f"cad-outage-{unique}", network_timeout_s=1.0, avl_workers=0,
        environment="development", auth_dev_secret=TEST_AUTH_SECRET,
        rate_limit_per_s=100_000.0, rate_limit_burst=100_000,
    )  # fmt: skip


@pytest.fixture
async def outage_app(
    own_servers: tuple[EmbeddedServer, EmbeddedServer],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The whole app on this test's own Redis and broker, with a client holding every role."""
    settings = outage_settings(*own_servers)
    async with running_app(settings) as app, asgi_client(app, auth_headers(settings)) as client:
        yield app, client


def calls(app: FastAPI) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, documented path, URL, request arguments) for every operation of the app."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            assert (method, path) in REQUESTS, f"add a plausible request for {method} {path}"
            url = path.format(
                ref=quote(REF, safe="/"), callsign=CALLSIGN, alarm_id=ALARM_ID, alert_id=ALERT_ID
            )
            found.append((method, path, url, REQUESTS[(method, path)]))
    return found


def assert_unavailable(response: httpx.Response, dependency: str, why: str = "") -> None:
    """A 503 with a Retry-After in whole seconds and a JSON body naming the dependency."""
    assert response.status_code == 503, (response.request.url, response.text)
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["dependency"] == dependency, body
    assert body["detail"].startswith(f"{dependency} unavailable: "), body
    assert why in body["detail"], body
    # Never where the servers are: redis-py's own message names the address.
    assert "127.0.0.1" not in body["detail"], body


async def test_every_route_answers_503_naming_redis_while_it_is_down(
    outage_app: tuple[FastAPI, httpx.AsyncClient],
    own_servers: tuple[EmbeddedServer, EmbeddedServer],
) -> None:
    app, client = outage_app
    own_servers[0].stop()
    for method, path, url, arguments in calls(app):
        documented = app.openapi()["paths"][path][method]["responses"]
        keyed = [{}, {"Idempotency-Key": "outage-key-1"}] if method == "post" else [{}]
        for headers in keyed:  # a POST with a key meets Redis first in the idempotency layer
            response = await client.request(method, url, headers=headers, **arguments)
            if path in NEEDS_NO_REDIS:
                assert response.status_code == 200, (path, response.text)
            elif path in HISTORY_ONLY:
                assert_unavailable(response, "postgresql", "history store not configured")
            elif path == "/metrics":
                # The process's own figures, without the gauges read from Redis.
                samples = samples_of(response.text)
                assert samples[("cad_redis_up", ())] == 0
                assert not any(name == "cad_units" for name, _ in samples)
            elif path == "/readyz":
                assert response.status_code == 503
                assert response.json()["checks"]["redis"] is False
                assert int(response.headers["retry-after"]) >= 1
            else:
                assert_unavailable(response, "redis")
                assert "503" in documented, f"{method} {path} does not document its 503"
    own_servers[0].start()
    response = await client.get("/v1/incidents")
    assert response.status_code == 200  # back on the next request, nothing to restart


@pytest.mark.parametrize(
    ("replica_options", "reads_work", "why"),
    [
        # A replica during a failover: it serves what it holds, and refuses every write.
        ((), True, "READONLY"),
        # A replica that lost its primary and was told not to serve stale data: nothing at all.
        (("--replica-serve-stale-data", "no"), False, "MASTERDOWN"),
    ],
)
async def test_a_replica_answers_503_for_what_it_refuses(
    own_servers: tuple[EmbeddedServer, EmbeddedServer],
    tmp_path: Path,
    replica_options: tuple[str, ...],
    reads_work: bool,
    why: str,
) -> None:
    primary, broker = own_servers
    (tmp_path / "replica").mkdir()
    replica = redis_server(tmp_path / "replica")
    replica.argv += ["--replicaof", "127.0.0.1", str(primary.port), *replica_options]
    replica.start()
    try:
        settings = outage_settings(replica, broker)
        # A replica refuses the intake's lease as it refuses every write.
        running = running_app(settings, intake=False)
        async with running as app, asgi_client(app, auth_headers(settings)) as http:
            register = await http.post("/v1/units", json=UNIT)
            assert_unavailable(register, "redis", why)
            call = await http.post("/v1/calls", json=REQUESTS[("post", "/v1/calls")]["json"])
            # A call's first round trip writes (it claims the call id): a replica refuses a
            # write as READONLY whether or not its link to the primary is up.
            assert_unavailable(call, "redis", "READONLY")
            listed = await http.get("/v1/units")
            if reads_work:
                assert listed.status_code == 200
            else:
                assert_unavailable(listed, "redis", why)
    finally:
        replica.stop()


async def test_redis_loading_its_aof_answers_503_until_it_has(
    own_servers: tuple[EmbeddedServer, EmbeddedServer],
) -> None:
    redis, broker = own_servers
    settings = outage_settings(redis, broker)
    client = open_redis(settings)
    async with client.pipeline(transaction=False) as pipe:
        for n in range(20_000):
            pipe.set(f"outage:filler:{n}", "x")
        await pipe.execute()
    await client.aclose()
    # Redis's own test knob: a pause per key loaded, so the AOF takes seconds to load.
    redis.argv += ["--key-load-delay", "200"]
    redis.stop()
    running = running_app(settings, intake=False)
    async with running as app, asgi_client(app, auth_headers(settings)) as http:
        redis.start()  # it listens at once, and answers LOADING until the AOF is in
        assert_unavailable(await http.get("/v1/incidents"), "redis", "LOADING")
        for _ in range(300):
            response = await http.get("/v1/incidents")
            if response.status_code == 200:
                break
            assert_unavailable(response, "redis", "LOADING")
        assert response.status_code == 200


async def test_a_route_that_sends_a_tasking_answers_503_naming_the_broker_while_it_is_down(
    outage_app: tuple[FastAPI, httpx.AsyncClient],
    own_servers: tuple[EmbeddedServer, EmbeddedServer],
) -> None:
    app, client = outage_app
    redis = open_redis(app.state.runtime.settings)
    await seed_units(redis)
    await redis.aclose()
    own_servers[1].stop()
    call = REQUESTS[("post", "/v1/calls")]["json"] | {"received_at": datetime.now(UTC).isoformat()}
    # Grade I is dispatched at once: the claim is made, its tasking cannot be sent.
    assert_unavailable(await client.post("/v1/calls", json=call), "mqtt", "broker")
    # Reads need no broker.
    assert (await client.get("/v1/incidents")).status_code == 200


async def seed_units(redis: Redis) -> None:
    """Two units at the scene, enough for the violence plan."""
    scripts = register_scripts(redis)
    for callsign in ("CW01", "CW02"):
        unit = Unit.model_validate(UNIT | {"callsign": callsign})
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
