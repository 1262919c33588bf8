"""Incident creation in Redis: one incident per call id, however often the event is delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from cad.events import CallEvent
from cad.incident_record import new_incident_fields
from cad.keys import AreaKeys, GlobalKeys
from callhandling.refs import format_ref, london_day
from dispatch.scripts import DispatchScripts

# A day's sequence counter outlives the day by a margin, then goes.
_SEQUENCE_TTL_S = 3 * 24 * 3600


@dataclass(frozen=True)
class CreatedIncident:
    """The incident a call became, and whether this call created it."""

    ref: str
    created: bool


async def next_ref(redis: Redis, now: datetime) -> str:
    """Allocate the next incident reference of the London day."""
    day = london_day(now)
    key = GlobalKeys().ref_sequence(day.strftime("%Y%m%d"))
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, _SEQUENCE_TTL_S)
        sequence, _ = await pipe.execute()
    return format_ref(int(sequence), day)


async def create_incident(
    redis: Redis,
    scripts: DispatchScripts,
    event: CallEvent,
    *,
    area: str,
    now: datetime,
    actor: str,
) -> CreatedIncident:
    """Create the incident for a call event, or return the one its call id already made."""
    keys = AreaKeys(area)
    existing = await redis.get(keys.call(event.call_id))
    if existing is not None:
        return CreatedIncident(existing, created=False)
    # A concurrent duplicate may still win the race below: it costs a gap in the sequence.
    ref = await next_ref(redis, now)
    fields = new_incident_fields(event, area=area)
    # The directory entry goes first so that no incident can exist that a ref lookup cannot find.
    await redis.hset(GlobalKeys().incident_area, ref, area)
    created, actual_ref = await scripts.create_incident(
        keys=[keys.call(event.call_id), keys.incident(ref), keys.audit],
        args=[ref, int(now.timestamp() * 1000), actor, *_flatten(fields)],
    )
    if not created:
        # A concurrent duplicate won: the ref allocated here names nothing, so unlist it.
        await redis.hdel(GlobalKeys().incident_area, ref)
    return CreatedIncident(actual_ref, created=bool(created))


def _flatten(fields: dict[str, str]) -> list[str]:
    return [item for pair in fields.items() for item in pair]
