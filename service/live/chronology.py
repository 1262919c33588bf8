"""One incident's chronology: its entries of the area's audit stream and the calls linked to it."""

from __future__ import annotations

from cad.errors import NotFoundError
from cad.keys import AreaKeys, GlobalKeys
from cad.unreadable import UnreadableRecords
from service.live.readmodel import REF_FIELDS, Row, read_incidents
from transport.redis_types import AsyncRedis

_CHUNK = 1000
# An old incident's entries lie far back in a busy stream: stop scanning somewhere and say so.
MAX_SCANNED = 50_000


async def chronology(redis: AsyncRedis, ref: str, unreadable: UnreadableRecords) -> Row:
    """The incident, its audit entries in order and its linked calls; NotFoundError if none,
    UnreadableRecordError if its hash does not parse."""
    area = await redis.hget(GlobalKeys().incident_area, ref)
    if not area:
        raise NotFoundError(f"ref: no incident {ref!r}")
    rows = await read_incidents(redis, area, [ref], unreadable)
    if not rows:
        raise unreadable.error_for("incident", area, ref) or NotFoundError(
            f"ref: no incident {ref!r}"
        )
    keys = AreaKeys(area)
    start = await redis.hget(keys.incident(ref), "audit_from")
    if not start:
        created = rows[0].get("created_ms")
        start = f"{created}-0" if created else "-"
    entries: list[Row] = []
    scanned, truncated = 0, False
    while True:
        chunk = await redis.xrange(keys.audit, min=start, max="+", count=_CHUNK)
        scanned += len(chunk)
        entries += [
            {**fields, "id": entry_id}
            for entry_id, fields in chunk
            if ref in (fields.get(f) for f in REF_FIELDS)
        ]
        if len(chunk) < _CHUNK:
            break
        if scanned >= MAX_SCANNED:
            truncated = True
            break
        start = f"({chunk[-1][0]}"
    calls = await redis.zrange(keys.incident_calls(ref), 0, -1, withscores=True)
    return {
        "incident": rows[0],
        "entries": entries,
        "calls": [{"call_id": c, "received_ms": int(ms)} for c, ms in calls],
        "truncated": truncated,
    }
