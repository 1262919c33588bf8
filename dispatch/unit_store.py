"""Reading units back from Redis: registry record, status, time in status, position, staleness."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from cad.errors import UnreadableRecordError
from cad.keys import AreaKeys, GlobalKeys
from cad.unreadable import UnreadableRecords, unreadable_record
from dispatch.units import Unit
from transport.redis_types import AsyncRedis

# CW31 assigned to an incident near Trafalgar Square, its last fix fresh (OpenAPI's example).
EXAMPLE_UNIT_VIEW: dict[str, Any] = {
    "unit": {"callsign": "CW31", "unit_type": "irv", "capabilities": ["response"], "area": "CW",
             "crew": 2, "base_lon": -0.13, "base_lat": 51.51},
    "status": "assigned", "status_since_ms": 1796365440724, "status_by": "user:PC0001(dispatcher)",
    "incident_ref": "CAD 0042/04DEC26", "lon": -0.129871, "lat": 51.509412,
    "fix_ms": 1796365470000, "stale": False,
}  # fmt: skip


class UnitView(BaseModel):
    """A unit as a dispatcher sees it."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [EXAMPLE_UNIT_VIEW]})

    unit: Unit
    status: str
    status_since_ms: int | None
    status_by: str | None
    incident_ref: str | None
    lon: float | None
    lat: float | None
    fix_ms: int | None
    stale: bool


async def list_units(
    redis: AsyncRedis, *, area: str, stale_before_ms: int, unreadable: UnreadableRecords
) -> list[UnitView]:
    """Every unit of an area, ordered by callsign; a unit whose record does not parse is left
    out and reported to `unreadable`."""
    names = sorted(await redis.hkeys(AreaKeys(area).units))
    views = []
    for view in await _views(redis, area, names, stale_before_ms):
        if isinstance(view, UnreadableRecordError):
            unreadable.report(view)
        else:
            views.append(view)
    return views


async def _views(
    redis: AsyncRedis, area: str, names: list[str], stale_before_ms: int
) -> list[UnitView | UnreadableRecordError]:
    """The named units that exist, each as its view or as the error saying why it is unreadable."""
    if not names:
        return []
    keys = AreaKeys(area)
    async with redis.pipeline(transaction=False) as pipe:
        for key in (keys.units, keys.unit_status, keys.unit_since, keys.unit_by,
                    keys.unit_incident, keys.unit_fix):  # fmt: skip
            pipe.hmget(key, names)
        pipe.geopos(keys.positions, *names)
        rows = zip(names, *await pipe.execute(), strict=True)
    views: list[UnitView | UnreadableRecordError] = []
    for name, record, status, since, by, incident, fix, position in rows:
        if record is None:
            continue
        try:
            fix_ms = int(fix) if fix else None
            views.append(
                UnitView(
                    unit=Unit.model_validate_json(record),
                    status=status or "unknown",
                    status_since_ms=int(since) if since else None,
                    status_by=by,
                    incident_ref=incident,
                    lon=position[0] if position else None,
                    lat=position[1] if position else None,
                    fix_ms=fix_ms,
                    stale=fix_ms is not None and fix_ms < stale_before_ms,
                )
            )
        except ValueError as exc:  # pydantic's ValidationError among them
            views.append(unreadable_record("unit", area, name, exc))
    return views


async def all_areas(redis: AsyncRedis) -> list[str]:
    """Every dispatch area that holds units or incidents."""
    return sorted(await redis.smembers(GlobalKeys().areas))


async def find_unit(redis: AsyncRedis, callsign: str, *, stale_before_ms: int) -> UnitView | None:
    """One unit by callsign, through the callsign directory; UnreadableRecordError if its
    record does not parse."""
    area = await redis.hget(GlobalKeys().unit_area, callsign)
    if area is None:
        return None
    views = await _views(redis, area, [callsign], stale_before_ms)
    if not views:
        return None
    if isinstance(views[0], UnreadableRecordError):
        raise views[0]
    return views[0]
