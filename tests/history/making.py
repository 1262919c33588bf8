"""Incidents made and ended through the real API, and an archiver that keeps nothing back, for
the history store's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from redis.asyncio import Redis

from history.archiver import Archiver
from history.store import HistoryStore

HERE = (-0.1281, 51.5080)


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
