"""Alarms on GET /v1/events over a real HTTP connection: raised, acknowledged (with who) and
cleared arrive as `alarms` events, each with the alarm as it is now, and resume by event id."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from redis.asyncio import Redis

from cad.alarm_record import AlarmKind, Severity
from cad.settings import Settings
from cad.tokens import Role
from service.alarms.rules import Condition
from service.alarms.store import AlarmStore
from service.live import cursor
from tests.helpers import auth_headers
from tests.live.sse_client import events


async def alarm_events(
    client: httpx.AsyncClient, want: int, *, headers: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The first `want` alarm audit entries a fresh connection delivers, and the last id."""
    entries: list[dict[str, Any]] = []
    last_id = None
    async with (
        asyncio.timeout(5),
        client.stream("GET", "/v1/events", headers=headers) as r,
    ):
        assert r.status_code == 200, await r.aread()
        async for event in events(r):
            if event.event == "alarms":
                entries += event.data
                last_id = event.id
                if len(entries) >= want:
                    break
    return entries, last_id


def now_ms() -> int:
    return int(time.time() * 1000)


async def test_alarm_changes_stream_to_the_map_and_resume_without_repeats(
    live_url: str, settings: Settings, redis: Redis
) -> None:
    store = AlarmStore(redis, retention_s=60)
    stuck = Condition(
        AlarmKind.QUEUE_AGE, "CW|CAD 0007/04DEC26", Severity.CRITICAL, "I pending 1300s",
        area="CW", ref="CAD 0007/04DEC26",
    )  # fmt: skip
    async with httpx.AsyncClient(
        base_url=live_url, timeout=5, headers=auth_headers(settings)
    ) as client:
        # From the start of the alarm audit (an empty cursor): the stream has not begun yet.
        raised = await store.raise_(stuck, now_ms=now_ms())
        assert raised is not None
        boss = auth_headers(settings, Role.SUPERVISOR, subject="PS7")
        answer = await client.post(
            f"/v1/alarms/{raised.alarm_id}/ack", json={"note": "on it"}, headers=boss
        )
        assert answer.status_code == 200, answer.text
        seen, last = await alarm_events(client, 2, headers={"Last-Event-ID": ""})
        assert [(e["type"], e["actor"]) for e in seen] == [
            ("alarm_raised", "auto:alarms"), ("alarm_acknowledged", "user:PS7(supervisor)"),
        ]  # fmt: skip
        assert seen[1]["note"] == "on it"
        # Each carries the alarm as it is now (acknowledged by then).
        assert {e["alarm"]["state"] for e in seen} == {"acknowledged"}
        assert seen[0]["alarm"]["ref"] == "CAD 0007/04DEC26"
        assert last is not None
        assert cursor.ALARMS in cursor.decode(last)
        # Cleared while the client was away: a reconnect gets that, and nothing before it.
        await store.clear(raised.alarm_id, now_ms=now_ms())
        missed, _ = await alarm_events(client, 1, headers={"Last-Event-ID": last})
        assert [(e["type"], e["alarm"]["state"]) for e in missed] == [("alarm_cleared", "cleared")]
