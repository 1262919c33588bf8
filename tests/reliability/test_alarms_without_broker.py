"""Alarms while the broker is down: raised and kept in Redis, listed and acknowledged over HTTP;
the round that cannot publish waits the network timeout once, not once per alarm."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from cad.alarm_record import AlarmKind, AlarmState
from cad.tokens import Role
from cad.unreadable import UnreadableRecords
from service.alarms.scanner import AlarmScanner
from service.runtime import Runtime
from service.servers import EmbeddedServer
from tests.helpers import asgi_client, auth_headers, running_app
from tests.reliability.test_dependency_outage import outage_settings


async def test_alarms_are_raised_listed_and_acknowledged_without_the_broker(
    own_servers: tuple[EmbeddedServer, EmbeddedServer],
) -> None:
    settings = outage_settings(*own_servers).model_copy(update={"alarm_scan_interval_s": 3600.0})
    async with running_app(settings) as app, asgi_client(app, auth_headers(settings)) as client:
        runtime: Runtime = app.state.runtime
        for n in range(3):
            call = {
                "call_id": f"nb-{n}", "received_at": datetime.now(UTC).isoformat(),
                "source": "101", "location": {"lon": -0.1281 + n * 0.01, "lat": 51.508},
                "incident_type": "theft_report", "grade": "E",
            }  # fmt: skip
            assert (await client.post("/v1/calls", json=call)).status_code == 201
        own_servers[1].stop()
        later = int(time.time() * 1000) + int(settings.queue_alarm_age_s * 1000) + 1000
        scanner = AlarmScanner(
            runtime.redis, runtime.link, runtime.topics, settings,
            lambda: UnreadableRecords(runtime.metrics.unreadable_records), clock_ms=lambda: later,
        )  # fmt: skip
        started = time.monotonic()
        raised = await scanner.scan_once()
        took_s = time.monotonic() - started
        assert [a.kind for a in raised] == [AlarmKind.QUEUE_AGE] * 3
        # One wait for the broker (CAD_NETWORK_TIMEOUT_S, 1 s here), not three.
        assert took_s < 2 * settings.network_timeout_s, took_s
        listed = (await client.get("/v1/alarms", params={"state": "raised"})).json()["alarms"]
        assert len(listed) == 3
        boss = auth_headers(settings, Role.SUPERVISOR)
        acked = await client.post(f"/v1/alarms/{listed[0]['alarm_id']}/ack", headers=boss)
        assert acked.status_code == 200, acked.text
        assert acked.json()["state"] == AlarmState.ACKNOWLEDGED
