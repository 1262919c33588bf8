"""Alarms end to end with the real app, Redis and broker: raised on a clock the test moves,
pushed on MQTT `cad/alarms`, listed, acknowledged by a supervisor only, cleared when the
condition ends; one alarm however many scanners find it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.alarm_record import Alarm, AlarmKind, AlarmState, Severity
from cad.events import CallEvent, CallSource, Location
from cad.incident_record import new_incident_fields
from cad.keys import AlarmKeys, GlobalKeys
from cad.settings import Settings
from cad.tokens import Role
from callhandling.incidents import Outcome, call_fields, fence_cells, next_ref
from callhandling.lua.create_incident import queue_create_incident
from service.alarms.scanner import AlarmScanner
from tests.alarms.conftest import SCENE, Clock, record, scanner_of
from tests.helpers import asgi_client, auth_headers, eventually, next_message
from tests.mdt.support import nothing_arrives
from transport.deadletter import DEADLETTER_STREAM
from transport.mqtt_client import Client
from transport.scripts import Batch


async def pushed(watcher: Client) -> Alarm:
    message = await next_message(watcher)
    assert isinstance(message.payload, bytes)
    return Alarm.model_validate_json(message.payload)


async def holds_count(redis: Redis, letters: int) -> bool:
    return int(await redis.xlen(DEADLETTER_STREAM)) >= letters


async def listed(client: httpx.AsyncClient, **filters: str) -> list[dict[str, Any]]:
    answer = await client.get("/v1/alarms", params=filters)
    assert answer.status_code == 200, answer.text
    alarms: list[dict[str, Any]] = answer.json()["alarms"]
    return alarms


async def test_a_queue_alarm_is_raised_pushed_listed_acknowledged_and_cleared(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, scanner: AlarmScanner,
    clock: Clock, watcher: Client,
) -> None:  # fmt: skip
    # An Extended incident with no unit to send waits in the queue.
    incident = await record(client, "q-1", incident_type="theft_report", grade="E")
    assert incident["status"] == "pending"
    assert await scanner.scan_once() == []
    clock.advance(settings.queue_alarm_age_s + 1)
    (raised,) = await scanner.scan_once()
    assert (raised.kind, raised.severity, raised.state) == (
        AlarmKind.QUEUE_AGE, Severity.WARNING, AlarmState.RAISED,
    )  # fmt: skip
    assert (raised.ref, raised.area) == (incident["ref"], "CW")
    assert await pushed(watcher) == raised
    # Found again, it is the same alarm: nothing raised, nothing sent.
    clock.advance(10)
    assert await scanner.scan_once() == []
    assert await nothing_arrives(watcher, 0.3)

    assert [a["alarm_id"] for a in await listed(client)] == [raised.alarm_id]
    assert len(await listed(client, state="raised", area="CW", severity="warning")) == 1
    assert await listed(client, severity="critical") == []
    assert await listed(client, area="CN") == []
    assert await listed(client, state="cleared") == []
    assert (await client.get("/v1/alarms", params={"severity": "loud"})).status_code == 422

    ack = f"/v1/alarms/{raised.alarm_id}/ack"
    async with asgi_client(app, auth_headers(settings, Role.DISPATCHER)) as dispatcher:
        assert (await dispatcher.post(ack, json={"note": "seen"})).status_code == 403
        # Reading is any role's.
        assert len((await dispatcher.get("/v1/alarms")).json()["alarms"]) == 1
    unknown = await client.post("/v1/alarms/queue_age-0123456789abcdef/ack")
    assert unknown.status_code == 404
    assert "alarm_id" in unknown.json()["detail"]
    malformed = await client.post("/v1/alarms/no such alarm/ack")
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["path", "alarm_id"]
    bad_note = await client.post(ack, json={"note": 7})
    assert (bad_note.status_code, bad_note.json()["detail"][0]["loc"]) == (422, ["body", "note"])

    async with asgi_client(app, auth_headers(settings, Role.SUPERVISOR, subject="PS9")) as boss:
        answer = await boss.post(ack, json={"note": "CW sergeant aware"})
        assert answer.status_code == 200, answer.text
        acked = Alarm.model_validate(answer.json())
        assert acked.state is AlarmState.ACKNOWLEDGED
        assert acked.acknowledged_by == "user:PS9(supervisor)"
        assert acked.note == "CW sergeant aware"
        assert await pushed(watcher) == acked
        # Again: no change, no message, no second audit entry. The body may be left out.
        again = await boss.post(ack)
        assert (again.status_code, again.json()["state"]) == (200, "acknowledged")
        assert await nothing_arrives(watcher, 0.3)
    audit = [fields for _, fields in await app.state.runtime.redis.xrange(AlarmKeys().audit)]
    assert [(e["type"], e["actor"]) for e in audit] == [
        ("alarm_raised", "auto:alarms"), ("alarm_acknowledged", "user:PS9(supervisor)"),
    ]  # fmt: skip
    assert audit[1]["note"] == "CW sergeant aware"

    # The incident leaves the queue: the alarm clears by itself, acknowledged or not.
    cancelled = await client.post(f"/v1/incidents/{incident['ref']}/cancel", json={"note": "x"})
    assert cancelled.status_code == 200, cancelled.text
    (cleared,) = await scanner.scan_once()
    assert (cleared.alarm_id, cleared.state) == (raised.alarm_id, AlarmState.CLEARED)
    assert cleared.cleared_at is not None
    assert cleared.acknowledged_by == "user:PS9(supervisor)"
    assert await pushed(watcher) == cleared
    assert [a["state"] for a in await listed(client, state="cleared")] == ["cleared"]
    # Kept for the retention, then gone.
    ttl_ms = await app.state.runtime.redis.pttl(AlarmKeys().alarm(raised.alarm_id))
    assert 0 < ttl_ms <= settings.alarm_retention_s * 1000
    assert (await client.post(ack)).status_code == 409


async def test_the_index_forgets_expired_alarms(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: Clock
) -> None:
    runtime = app.state.runtime
    short = settings.model_copy(update={"alarm_retention_s": 0.2})
    runtime.settings = short
    scanner = scanner_of(runtime, clock)
    incident = await record(client, "q-2", incident_type="theft_report", grade="E")
    clock.advance(settings.queue_alarm_age_s + 1)
    (raised,) = await scanner.scan_once()
    await client.post(f"/v1/incidents/{incident['ref']}/cancel", json={"note": "x"})
    (cleared,) = await scanner.scan_once()
    assert (cleared.alarm_id, cleared.state) == (raised.alarm_id, AlarmState.CLEARED)
    assert await runtime.redis.zcard(AlarmKeys().index) == 1
    await asyncio.sleep(0.3)
    clock.advance(1)
    assert await scanner.scan_once() == []
    assert await runtime.redis.zcard(AlarmKeys().index) == 0
    assert await listed(client) == []


async def left_new(redis: Redis, call_id: str) -> str:
    """An ungraded incident created as the intake creates one, but never dispatched: what a
    replica dying between the two leaves behind (its ref)."""
    now = datetime.now(UTC)
    event = CallEvent(
        call_id=call_id, received_at=now, source=CallSource.ALARM,
        location=Location(lon=SCENE["lon"], lat=SCENE["lat"]),
    )  # fmt: skip
    now_ms = int(now.timestamp() * 1000)
    ref = await next_ref(redis, now)
    batch = Batch()
    batch.command(int, "SADD", GlobalKeys().areas, "CW")
    creation = queue_create_incident(
        batch, area="CW", ref=ref, call_id=call_id, incident=new_incident_fields(event, area="CW"),
        call=call_fields(event, None, recorded_ms=now_ms), lon=SCENE["lon"], lat=SCENE["lat"],
        received_ms=now_ms, fence="", fence_cells=fence_cells(SCENE["lon"], SCENE["lat"]),
        now_ms=now_ms, actor="test", keep_call_s=3600,
    )  # fmt: skip
    assert creation.answer(await batch.run(redis)).outcome is Outcome.CREATED
    await redis.hset(GlobalKeys().incident_area, ref, "CW")
    return ref


async def test_an_incident_left_new_and_untouched_alarms_then_clears(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, scanner: AlarmScanner,
    clock: Clock,
) -> None:  # fmt: skip
    ref = await left_new(app.state.runtime.redis, "n-1")
    assert (await client.get(f"/v1/incidents/{ref}")).json()["incident"]["status"] == "new"
    clock.advance(settings.alarm_untouched_new_s - 1)
    assert await scanner.scan_once() == []
    clock.advance(2)
    (raised,) = await scanner.scan_once()
    assert (raised.kind, raised.severity, raised.ref) == (
        AlarmKind.UNTOUCHED_NEW, Severity.WARNING, ref,
    )  # fmt: skip
    referred = await client.post(f"/v1/incidents/{ref}/refer", json={"note": "LAS"})
    assert referred.status_code == 200, referred.text
    (cleared,) = await scanner.scan_once()
    assert (cleared.alarm_id, cleared.state) == (raised.alarm_id, AlarmState.CLEARED)


async def test_dead_letters_on_one_topic_alarm_until_the_window_passes(
    app: FastAPI, settings: Settings, scanner: AlarmScanner, clock: Clock, watcher: Client
) -> None:
    topics = app.state.runtime.topics
    redis = app.state.runtime.redis
    await watcher.publish(topics.calls_in, b"{not json", qos=1)
    await watcher.publish(topics.calls_in, b"[]", qos=1)
    await eventually(lambda: holds_count(redis, 2))
    (raised,) = await scanner.scan_once()
    assert (raised.kind, raised.topic, raised.severity) == (
        AlarmKind.DEAD_LETTERS, topics.calls_in, Severity.WARNING,
    )  # fmt: skip
    assert "2 dead letters" in raised.detail
    assert await pushed(watcher) == raised
    clock.advance(settings.alarm_dead_letter_window_s + 1)
    (cleared,) = await scanner.scan_once()
    assert (cleared.alarm_id, cleared.state) == (raised.alarm_id, AlarmState.CLEARED)
    assert (await pushed(watcher)).state is AlarmState.CLEARED


async def test_two_scanners_at_once_raise_one_alarm_and_send_one_message(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: Clock, watcher: Client
) -> None:
    runtime = app.state.runtime
    first, second = scanner_of(runtime, clock), scanner_of(runtime, clock)
    incident = await record(client, "q-3", incident_type="theft_report", grade="E")
    clock.advance(settings.queue_alarm_age_s + 1)
    for _ in range(5):
        await asyncio.gather(first.scan_once(), second.scan_once())
    raised = await pushed(watcher)
    assert raised.state is AlarmState.RAISED
    assert await nothing_arrives(watcher, 0.5)
    assert [a["alarm_id"] for a in await listed(client)] == [raised.alarm_id]
    await client.post(f"/v1/incidents/{incident['ref']}/cancel", json={"note": "x"})
    both = await asyncio.gather(first.scan_once(), second.scan_once())
    assert sorted(len(changed) for changed in both) == [0, 1]
    assert (await pushed(watcher)).state is AlarmState.CLEARED
    assert await nothing_arrives(watcher, 0.5)
    raised_entries = [
        f for _, f in await runtime.redis.xrange(AlarmKeys().audit) if f["type"] == "alarm_raised"
    ]
    assert len(raised_entries) == 1
