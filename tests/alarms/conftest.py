"""Alarm tests: the whole app, a scanner whose clock the test moves, and an MQTT watcher."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cad.settings import Settings
from cad.unreadable import UnreadableRecords
from service.alarms.scanner import AlarmScanner
from service.runtime import Runtime
from tests.helpers import asgi_client, auth_headers, mqtt_client
from transport.mqtt_client import Client

SCENE = {"lon": -0.1281, "lat": 51.5080}  # Trafalgar Square: Central West (CW)


class Clock:
    """Milliseconds since the epoch, moved by the test."""

    def __init__(self) -> None:
        self.ms = int(time.time() * 1000)

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test's settings, with the app's own scan rare: the tests scan on their own clock."""
    return settings.model_copy(
        update={"alarm_scan_interval_s": 3600.0, "alarm_dead_letter_count": 2}
    )


@pytest.fixture
async def client(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, holding a token with every role."""
    async with asgi_client(app, auth_headers(settings)) as http:
        yield http


@pytest.fixture
def clock() -> Clock:
    return Clock()


def scanner_of(runtime: Runtime, clock: Clock) -> AlarmScanner:
    """Another scanner over the runtime's Redis and MQTT link (as a second replica's would be),
    on the test's clock."""
    return AlarmScanner(
        runtime.redis, runtime.link, runtime.topics, runtime.settings,
        lambda: UnreadableRecords(runtime.metrics.unreadable_records), clock_ms=clock,
    )  # fmt: skip


@pytest.fixture
def scanner(app: FastAPI, clock: Clock) -> AlarmScanner:
    return scanner_of(app.state.runtime, clock)


@pytest.fixture
async def watcher(app: FastAPI, settings: Settings) -> AsyncIterator[Client]:
    """A real MQTT client subscribed to `cad/alarms` (QoS 1)."""
    async with mqtt_client(settings, "alarm-watcher") as watching:
        await watching.subscribe(app.state.runtime.topics.alarms, qos=1)
        yield watching


def call(call_id: str, **more: Any) -> dict[str, Any]:
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "101",
        "location": SCENE, **more,
    }  # fmt: skip


async def record(client: httpx.AsyncClient, call_id: str, **more: Any) -> dict[str, Any]:
    """Record a call; the incident it made."""
    response = await client.post("/v1/calls", json=call(call_id, **more))
    assert response.status_code == 201, response.text
    incident: dict[str, Any] = response.json()["incident"]["incident"]
    return incident
