"""Unit alarms with the real app, Redis and broker: a unit on scene too long, and a tasking no
MDT acknowledged (the unit escalated, and the incident left with no unit at all)."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.alarm_record import Alarm, AlarmKind, AlarmState, Severity
from cad.events import UnitStatus
from cad.settings import Settings
from dispatch.lua.set_unit_status import StatusOutcome, set_unit_status
from service.runtime import Runtime
from tests.alarms.conftest import SCENE, Clock, record, scanner_of
from tests.helpers import asgi_client, auth_headers, mqtt_client, next_message, running_app


async def add_unit(client: httpx.AsyncClient, callsign: str) -> None:
    unit = {
        "callsign": callsign, "unit_type": "irv", "capabilities": ["response"], "area": "CW",
        "base_lon": SCENE["lon"] + 0.001, "base_lat": SCENE["lat"],
    }  # fmt: skip
    created = await client.post("/v1/units", json=unit)
    assert created.status_code == 201, created.text


async def move(runtime: Runtime, callsign: str, status: UnitStatus, ref: str, at_ms: int) -> None:
    """The unit's status as its MDT's report would set it."""
    answer = await set_unit_status(
        runtime.scripts, area="CW", callsign=callsign, status=status, ref=ref,
        incident_area="CW" if ref else "", now_ms=at_ms, actor=f"mdt:{callsign}",
    )  # fmt: skip
    assert answer.outcome is StatusOutcome.OK, answer


@pytest.mark.topologies("single", "cluster")
async def test_a_unit_on_scene_past_its_limit_alarms_until_it_leaves(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: Clock
) -> None:
    runtime: Runtime = app.state.runtime
    scanner = scanner_of(runtime, clock)
    await add_unit(client, "CW31")
    incident = await record(client, "s-1", incident_type="violence", grade="I")
    assert incident["units"] == ["CW31"]
    await move(runtime, "CW31", UnitStatus.EN_ROUTE, incident["ref"], clock.ms)
    await move(runtime, "CW31", UnitStatus.ON_SCENE, incident["ref"], clock.ms)
    clock.advance(settings.alarm_on_scene_s - 1)
    assert await scanner.scan_once() == []
    clock.advance(2)
    (raised,) = await scanner.scan_once()
    assert (raised.kind, raised.severity, raised.callsign, raised.ref) == (
        AlarmKind.ON_SCENE_LONG, Severity.INFO, "CW31", incident["ref"],
    )  # fmt: skip
    await move(runtime, "CW31", UnitStatus.AVAILABLE, incident["ref"], clock.ms)
    (cleared,) = await scanner.scan_once()
    assert (cleared.alarm_id, cleared.state) == (raised.alarm_id, AlarmState.CLEARED)


async def test_an_unacknowledged_tasking_alarms_for_the_unit_and_the_unit_less_incident(
    settings: Settings, redis: Redis
) -> None:
    fast = settings.model_copy(update={"ack_timeout_s": 0.5, "ack_check_interval_s": 0.2})
    async with (
        running_app(fast) as app,
        asgi_client(app, auth_headers(fast)) as client,
        mqtt_client(fast, "alarm-watcher") as watcher,
    ):
        runtime: Runtime = app.state.runtime
        await watcher.subscribe(runtime.topics.alarms, qos=1)
        clock = Clock()
        scanner = scanner_of(runtime, clock)
        await add_unit(client, "CW41")
        incident = await record(client, "u-1", incident_type="violence", grade="I")
        assert incident["units"] == ["CW41"]
        # CW41's MDT never answers: the ack watch escalates it, and no unit is left to send.
        message = await next_message(watcher, within_s=10)
        assert isinstance(message.payload, bytes)
        exhausted = Alarm.model_validate_json(message.payload)
        assert (exhausted.kind, exhausted.severity, exhausted.ref) == (
            AlarmKind.TASKING_EXHAUSTED, Severity.CRITICAL, incident["ref"],
        )  # fmt: skip
        clock.ms = int(time.time() * 1000)
        (unanswered,) = await scanner.scan_once()
        assert (unanswered.kind, unanswered.severity, unanswered.callsign) == (
            AlarmKind.TASKING_UNACKNOWLEDGED, Severity.WARNING, "CW41",
        )  # fmt: skip
        # Scanning again changes nothing: the incident still has no unit, CW41 is silent.
        assert await scanner.scan_once() == []
        # The dispatcher closes the matter; the crew's MDT comes back.
        cancel = await client.post(f"/v1/incidents/{incident['ref']}/cancel", json={"note": "x"})
        assert cancel.status_code == 200, cancel.text
        await move(runtime, "CW41", UnitStatus.AVAILABLE, "", clock.ms)
        cleared = await scanner.scan_once()
        assert {(a.alarm_id, a.state) for a in cleared} == {
            (exhausted.alarm_id, AlarmState.CLEARED), (unanswered.alarm_id, AlarmState.CLEARED),
        }  # fmt: skip


async def test_an_incident_awaiting_its_result_too_long_alarms_until_closed(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: Clock
) -> None:
    runtime: Runtime = app.state.runtime
    scanner = scanner_of(runtime, clock)
    await add_unit(client, "CW33")
    incident = await record(client, "w-1", incident_type="violence", grade="I")
    for status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE):
        await move(runtime, "CW33", status, incident["ref"], clock.ms)
    clock.advance(settings.alarm_result_overdue_s - 1)
    assert await scanner.scan_once() == []
    clock.advance(2)
    (raised,) = await scanner.scan_once()
    assert (raised.kind, raised.severity, raised.ref, raised.area) == (
        AlarmKind.RESULT_OVERDUE, Severity.INFO, incident["ref"], "CW",
    )  # fmt: skip
    closed = await client.post(f"/v1/incidents/{incident['ref']}/close", json={"code": "arrest"})
    assert closed.status_code == 200, closed.text
    (cleared,) = await scanner.scan_once()
    assert (cleared.alarm_id, cleared.state) == (raised.alarm_id, AlarmState.CLEARED)
