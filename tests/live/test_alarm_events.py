"""Alarms on GET /v1/events over a real HTTP connection, from the service's own scan: raised,
acknowledged (with who) and cleared arrive as `alarms` events, each with the alarm as it is
now, and a reconnect resumes after the last one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cad.settings import Settings
from cad.tokens import Role
from service.live import cursor
from tests.helpers import auth_headers
from tests.live.sse_client import events


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A pending incident alarms within a second: the service scans five times a second."""
    return settings.model_copy(update={"queue_alarm_age_s": 0.3, "alarm_scan_interval_s": 0.2})


async def alarm_events(
    client: httpx.AsyncClient, want: int, *, last_event_id: str
) -> tuple[list[dict[str, Any]], str | None]:
    """The first `want` alarm audit entries a connection resuming after `last_event_id` gets,
    and the last event id."""
    entries: list[dict[str, Any]] = []
    last_id = None
    async with (
        asyncio.timeout(10),
        client.stream("GET", "/v1/events", headers={"Last-Event-ID": last_event_id}) as r,
    ):
        assert r.status_code == 200, await r.aread()
        async for event in events(r):
            if event.event == "alarms":
                entries += event.data
                last_id = event.id
                if len(entries) >= want:
                    break
    return entries, last_id


def theft_call(call_id: str) -> dict[str, Any]:
    """An Extended call with no unit to send: it waits in the queue."""
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "101",
        "location": {"lon": -0.1281, "lat": 51.5080}, "incident_type": "theft_report",
        "grade": "E",
    }  # fmt: skip


async def test_alarm_changes_stream_to_the_map_and_resume_without_repeats(
    live_url: str, settings: Settings
) -> None:
    async with httpx.AsyncClient(
        base_url=live_url, timeout=5, headers=auth_headers(settings)
    ) as client:
        recorded = await client.post("/v1/calls", json=theft_call("ev-1"))
        assert recorded.status_code == 201, recorded.text
        ref = recorded.json()["incident"]["incident"]["ref"]
        # From the start of every stream (an empty cursor).
        (raised,), last = await alarm_events(client, 1, last_event_id="")
        assert (raised["type"], raised["actor"]) == ("alarm_raised", "auto:alarms")
        assert (raised["alarm"]["kind"], raised["alarm"]["ref"]) == ("queue_age", ref)
        assert last is not None
        assert cursor.ALARMS in cursor.decode(last)

        boss = auth_headers(settings, Role.SUPERVISOR, subject="PS7")
        alarm_id = raised["alarm_id"]
        ack = await client.post(f"/v1/alarms/{alarm_id}/ack", json={"note": "on it"}, headers=boss)
        assert ack.status_code == 200, ack.text
        (acked,), last = await alarm_events(client, 1, last_event_id=last)
        assert (acked["type"], acked["actor"], acked["note"]) == (
            "alarm_acknowledged", "user:PS7(supervisor)", "on it",
        )  # fmt: skip
        assert acked["alarm"]["state"] == "acknowledged"
        assert last is not None

        # The incident leaves the queue while the client is away: the reconnect gets the
        # clearing, and nothing it had already.
        cancel = await client.post(f"/v1/incidents/{ref}/cancel", json={"note": "x"})
        assert cancel.status_code == 200, cancel.text
        (cleared,), _ = await alarm_events(client, 1, last_event_id=last)
        assert (cleared["type"], cleared["alarm_id"]) == ("alarm_cleared", alarm_id)
        assert cleared["alarm"]["state"] == "cleared"
