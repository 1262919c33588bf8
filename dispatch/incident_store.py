"""Reading incidents back from their Redis hashes."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys, GlobalKeys


async def read_incident(redis: Redis, area: str, ref: str) -> IncidentRecord | None:
    """The incident's stored record, or None."""
    fields = await redis.hgetall(AreaKeys(area).incident(ref))
    return IncidentRecord.from_hash(fields) if fields else None


async def find_incident(redis: Redis, ref: str) -> IncidentRecord | None:
    """Look an incident up by its ref alone, through the ref directory."""
    area = await redis.hget(GlobalKeys().incident_area, ref)
    return None if area is None else await read_incident(redis, area, ref)
