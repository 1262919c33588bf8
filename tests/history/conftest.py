"""The history store's fixtures: settings with a fresh database, the app with its archiver, and
incidents made and closed through the real API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.settings import Settings
from history.archiver import Archiver
from history.store import HistoryStore
from tests.helpers import asgi_client, auth_headers, running_app

HERE = (-0.1281, 51.5080)


@pytest.fixture
def history_settings(settings: Settings, database_url: str) -> Settings:
    """The test's settings with its own database; the archiver's graces at zero (the tests run
    its rounds themselves: its periodic task waits an hour)."""
    return settings.model_copy(
        update={
            "database_url": database_url,
            "archive_interval_s": 3600.0,
            "archive_keep_audit_s": 0.0,
            "archive_incident_grace_s": 0.0,
        }
    )


@pytest.fixture
async def history_app(history_settings: Settings, redis: Redis) -> AsyncIterator[FastAPI]:
    """The whole app with the history store configured."""
    async with running_app(history_settings) as application:
        yield application


@pytest.fixture
async def history_client(
    history_app: FastAPI, history_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client with every role."""
    async with asgi_client(history_app, auth_headers(history_settings)) as http:
        yield http


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[HistoryStore]:
    """A store of the test's database, apart from any app's."""
    history = HistoryStore(database_url, timeout_s=3.0)
    await history.open()
    yield history
    await history.close()


def archiver_for(redis: Redis, store: HistoryStore, *, batch: int = 1000) -> Archiver:
    """An archiver that keeps nothing back (no live window, no grace)."""
    return Archiver(redis, store, batch=batch, keep_audit_s=0.0, incident_grace_s=0.0)


def call_body(
    call_id: str, *, kind: str = "theft_report", east_m: float = 0, grade: str | None = None
) -> dict[str, Any]:
    """A 999 call near Charing Cross (`east_m` further east: no duplicate of the others)."""
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": HERE[0] + east_m / 69_000, "lat": HERE[1], "radius_m": 40},
        "incident_type": kind, "grade": grade, "cli": "07700900123", "text": "bike stolen",
    }  # fmt: skip


async def open_incident(client: httpx.AsyncClient, call_id: str, **kwargs: Any) -> str:
    """Record a call; the new incident's ref."""
    response = await client.post("/v1/calls", json=call_body(call_id, **kwargs))
    assert response.status_code == 201, response.text
    ref: str = response.json()["incident"]["incident"]["ref"]
    return ref


async def refer(client: httpx.AsyncClient, ref: str, note: str = "to Action Fraud") -> None:
    """Refer the incident (nothing was sent to it): it is final."""
    response = await client.post(f"/v1/incidents/{ref}/refer", json={"note": note})
    assert response.status_code == 200, response.text
