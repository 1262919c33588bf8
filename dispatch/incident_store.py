"""Reading incidents back from their Redis hashes."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys, GlobalKeys
from cad.unreadable import unreadable_record


def parse_incident(area: str, ref: str, fields: dict[str, str]) -> IncidentRecord:
    """The incident a stored hash holds; UnreadableRecordError if it does not parse."""
    try:
        return IncidentRecord.from_hash(fields)
    except ValueError as exc:  # pydantic's ValidationError among them
        raise unreadable_record("incident", area, ref, exc) from exc


async def read_incident(redis: Redis, area: str, ref: str) -> IncidentRecord | None:
    """The incident's stored record, or None; UnreadableRecordError if it does not parse."""
    fields = await redis.hgetall(AreaKeys(area).incident(ref))
    return parse_incident(area, ref, fields) if fields else None


async def find_incident(redis: Redis, ref: str) -> IncidentRecord | None:
    """Look an incident up by its ref alone, through the ref directory."""
    area = await redis.hget(GlobalKeys().incident_area, ref)
    return None if area is None else await read_incident(redis, area, ref)
