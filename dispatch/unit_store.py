"""Reading units back from Redis: registry record, status, time in status, position, staleness."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from cad.keys import AreaKeys, GlobalKeys
from dispatch.units import Unit


class UnitView(BaseModel):
    """A unit as a dispatcher sees it."""

    model_config = ConfigDict(frozen=True)

    unit: Unit
    status: str
    status_since_ms: int | None
    status_by: str | None
    incident_ref: str | None
    lon: float | None
    lat: float | None
    fix_ms: int | None
    stale: bool


async def list_units(redis: Redis, *, area: str, stale_before_ms: int) -> list[UnitView]:
    """Every unit of an area, ordered by callsign."""
    names = sorted(await redis.hkeys(AreaKeys(area).units))
    return await _views(redis, area, names, stale_before_ms)


async def _views(redis: Redis, area: str, names: list[str], stale_before_ms: int) -> list[UnitView]:
    if not names:
        return []
    keys = AreaKeys(area)
    async with redis.pipeline(transaction=False) as pipe:
        for key in (keys.units, keys.unit_status, keys.unit_since, keys.unit_by,
                    keys.unit_incident, keys.unit_fix):  # fmt: skip
            pipe.hmget(key, names)
        pipe.geopos(keys.positions, *names)
        records, statuses, since, by, incidents, fixes, positions = await pipe.execute()
    views = []
    for i in range(len(names)):
        if records[i] is None:
            continue
        fix = int(fixes[i]) if fixes[i] else None
        position = positions[i]
        views.append(
            UnitView(
                unit=Unit.model_validate_json(records[i]),
                status=statuses[i] or "unknown",
                status_since_ms=int(since[i]) if since[i] else None,
                status_by=by[i],
                incident_ref=incidents[i],
                lon=position[0] if position else None,
                lat=position[1] if position else None,
                fix_ms=fix,
                stale=fix is not None and fix < stale_before_ms,
            )
        )
    return views


async def all_areas(redis: Redis) -> list[str]:
    """Every dispatch area that holds units or incidents."""
    return sorted(await redis.smembers(GlobalKeys().areas))


async def find_unit(redis: Redis, callsign: str, *, stale_before_ms: int) -> UnitView | None:
    """One unit by callsign, through the callsign directory."""
    area = await redis.hget(GlobalKeys().unit_area, callsign)
    if area is None:
        return None
    views = await _views(redis, area, [callsign], stale_before_ms)
    return views[0] if views else None
