"""Set-up for the cross-BCU tests: units in several areas, incidents with directory entries."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.incident_record import IncidentRecord, read_incident
from cad.incident_types import load_catalogue
from cad.keys import AreaKeys, GlobalKeys
from cad.topics import Topics
from dispatch.dispatcher import Dispatcher
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit

RADII = (1_000, 3_000, 8_000, 20_000)
TRAFALGAR = (-0.1281, 51.5080)  # in CW (Westminster)
# Callsign -> (area, lon, lat): Waterloo is nearest to Trafalgar, then King's Cross, then Brixton.
FLEET = {
    "CS01": ("CS", -0.1134, 51.5033),
    "CN01": ("CN", -0.1240, 51.5308),
    "CS02": ("CS", -0.1145, 51.4613),
}


async def add_fleet(
    redis: Redis, scripts: DispatchScripts, fleet: dict[str, tuple[str, float, float]] = FLEET
) -> None:
    """Register every unit of `fleet` at its base, available."""
    for callsign, (area, lon, lat) in fleet.items():
        unit = Unit(callsign=callsign, area=area, base_lon=lon, base_lat=lat)
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")


async def add_incident(
    redis: Redis,
    ref: str,
    *,
    area: str = "CW",
    status: str = "pending",
    grade: str = "I",
    where: tuple[float, float] = TRAFALGAR,
    extra: dict[str, str] | None = None,
) -> IncidentRecord:
    """Store an incident hash and its directory entries, as the call path does."""
    fields = {
        "ref": ref, "area": area, "call_id": f"call-{ref}", "status": status, "grade": grade,
        "incident_type": "concern_for_welfare", "source": "999", "lon": repr(where[0]),
        "lat": repr(where[1]), "received_ms": "1000", "created_ms": "1000", **(extra or {}),
    }  # fmt: skip
    await redis.hset(AreaKeys(area).incident(ref), mapping=fields)
    await redis.hset(GlobalKeys().incident_area, ref, area)
    await redis.sadd(GlobalKeys().areas, area)
    record = await read_incident(redis, area, ref)
    assert record is not None
    return record


async def audit_types(redis: Redis, area: str) -> list[str]:
    """The types of an area's audit entries, oldest first."""
    return [fields["type"] for _, fields in await redis.xrange(AreaKeys(area).audit)]


class RecordingPublisher:
    """The MQTT edge, recorded: what the dispatcher would send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        """Keep the message."""
        self.sent.append((topic, payload))


def dispatcher_for(
    redis: Redis, scripts: DispatchScripts, publisher: RecordingPublisher | None = None
) -> Dispatcher:
    """A dispatcher on this client, sending to a recording publisher under the root `t`."""
    return Dispatcher(
        redis, scripts, publisher or RecordingPublisher(), Topics("t"), radii_m=RADII,
        catalogue=load_catalogue(), stale_fix_s=90,
    )  # fmt: skip
