"""The alarms' own audit trail (raised, acknowledged by whom, cleared) reaches the history store
with the areas' trails: an acknowledgement is found in `GET /v1/audit` by its supervisor."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.keys import AlarmKeys
from cad.settings import Settings
from service.runtime import Runtime
from tests.alarms.conftest import Clock, record, scanner_of


async def test_an_alarm_acknowledged_is_in_the_archived_audit_trail(
    history_app: FastAPI, history_client: httpx.AsyncClient, history_settings: Settings,
    redis: Redis,
) -> None:  # fmt: skip
    runtime: Runtime = history_app.state.runtime
    clock = Clock()
    await record(history_client, "alarm-trail", incident_type="theft_report", grade="E")
    clock.advance(history_settings.queue_alarm_age_s + 1)
    (raised,) = await scanner_of(runtime, clock).scan_once()
    ack = await history_client.post(
        f"/v1/alarms/{raised.alarm_id}/ack", json={"note": "CW sergeant aware"}
    )
    assert ack.status_code == 200, ack.text
    assert runtime.archiver is not None
    await runtime.archiver.archive_once()
    trail = await history_client.get("/v1/audit", params={"actor": "user:PC0001(supervisor)"})
    assert trail.status_code == 200, trail.text
    (acked,) = [e for e in trail.json()["entries"] if e["kind"] == "alarm_acknowledged"]
    assert acked["area"] == "alarms"
    assert acked["fields"]["note"] == "CW sergeant aware"
    # Archived, the stream is trimmed like an area's (nothing kept back in these tests).
    assert await redis.xlen(AlarmKeys().audit) == 0
