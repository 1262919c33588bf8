"""Helpers of the MDT tests: units, calls, and MDT reports."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from redis.asyncio import Redis

from cad.events import StatusReport, Tasking, UnitStatus
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from tests.helpers import next_message
from transport.mqtt_client import Client

TRAFALGAR = (-0.1281, 51.5080)  # Westminster: BCU Central West


async def add_units(
    redis: Redis, scripts: DispatchScripts, *spots: tuple[str, float, float]
) -> None:
    """Register units of Central West at these points, available."""
    for callsign, lon, lat in spots:
        unit = Unit(callsign=callsign, area="CW", base_lon=lon, base_lat=lat)
        await register_unit(redis, scripts, unit, now_ms=int(time.time() * 1000), actor="test")


def call(call_id: str, incident_type: str = "missing_person_high_risk") -> bytes:
    """An Immediate 999 call at Trafalgar Square (one response unit, unless the type asks more)."""
    event = {
        "call_id": call_id,
        "received_at": datetime.now(UTC).isoformat(),
        "source": "999",
        "location": {"lon": TRAFALGAR[0], "lat": TRAFALGAR[1], "radius_m": 30},
        "incident_type": incident_type,
        "grade": "I",
    }
    return json.dumps(event).encode()


def report(status: UnitStatus, tasking_id: str | None = None) -> bytes:
    """An MDT status report."""
    message = StatusReport(status=status, ts=datetime.now(UTC), tasking_id=tasking_id)
    return message.model_dump_json().encode()


async def receive_tasking(client: Client, within_s: float = 5.0) -> Tasking:
    """The next message, read as a tasking."""
    message = await next_message(client, within_s)
    assert isinstance(message.payload, bytes)
    return Tasking.model_validate_json(message.payload)


async def receive_json(client: Client, within_s: float = 5.0) -> dict[str, object]:
    """The next message, read as a JSON object."""
    message = await next_message(client, within_s)
    assert isinstance(message.payload, bytes)
    decoded: dict[str, object] = json.loads(message.payload)
    return decoded


async def nothing_arrives(client: Client, within_s: float) -> bool:
    """Whether the client receives no message for `within_s`."""
    try:
        await next_message(client, within_s)
    except TimeoutError:
        return True
    return False
