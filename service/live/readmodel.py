"""What the map shows, read straight from the dispatch core's Redis keys, in compact rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cad.incident_record import FINAL
from cad.keys import AlarmKeys, AreaKeys, GlobalKeys
from cad.unreadable import UnreadableRecords, unreadable_record
from dispatch.units import Unit
from service.live.cursor import ALARMS
from transport.redis_types import AsyncRedis

# Fields of an audit entry that name an incident (a pre-emption names two).
REF_FIELDS = ("ref", "from_ref", "to_ref")
# Statuses after which an incident leaves the map (static/state.js says the same: a test checks).
FINAL_STATUSES = frozenset(s.value for s in FINAL)
# The incident fields the map needs; the caller's hashed number and the like stay in Redis.
_INCIDENT_FIELDS = (
    "ref", "area", "status", "grade", "incident_type", "source", "lon", "lat", "radius_m",
    "received_ms", "created_ms", "dispatched_ms", "units", "call_count", "transfer_force",
)  # fmt: skip
_NUMBERS = frozenset({"lon", "lat", "radius_m"})
_INTEGERS = frozenset({"received_ms", "created_ms", "dispatched_ms", "call_count"})
# Without these the map cannot place, colour or order an incident.
_NEEDED = frozenset({"ref", "area", "status", "lon", "lat", "received_ms", "created_ms"})

Row = dict[str, Any]


async def known_areas(redis: AsyncRedis) -> set[str]:
    """Every dispatch area that holds units or incidents."""
    return set(await redis.smembers(GlobalKeys().areas))


async def stream_heads(redis: AsyncRedis, areas: Iterable[str]) -> dict[str, str]:
    """The id of the newest audit entry of each area ('0-0' for an empty stream), and of the
    alarm audit under `ALARMS` when it has entries (missing, a cursor reads it from the start,
    which is all new)."""
    names = sorted(areas)
    async with redis.pipeline(transaction=False) as pipe:
        for area in names:
            pipe.xrevrange(AreaKeys(area).audit, count=1)
        pipe.xrevrange(AlarmKeys().audit, count=1)
        *newest, alarms = await pipe.execute()
    heads = {
        area: (last[0][0] if last else "0-0") for area, last in zip(names, newest, strict=True)
    }
    if alarms:
        heads[ALARMS] = alarms[0][0]
    return heads


async def read_units(
    redis: AsyncRedis, area: str, unreadable: UnreadableRecords, callsigns: list[str] | None = None
) -> list[Row]:
    """The area's units (or the named ones): callsign, type, status, position, last fix, ref; a
    unit whose record does not parse is left out and reported to `unreadable`."""
    keys = AreaKeys(area)
    names = sorted(await redis.hkeys(keys.units)) if callsigns is None else callsigns
    if not names:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for key in (keys.units, keys.unit_status, keys.unit_fix, keys.unit_incident):
            pipe.hmget(key, names)
        pipe.geopos(keys.positions, *names)
        records, statuses, fixes, refs, positions = await pipe.execute()
    rows = []
    for i, callsign in enumerate(names):
        if records[i] is None:
            continue
        position = positions[i]
        try:
            unit_type = Unit.model_validate_json(records[i]).unit_type.value
            fix_ms = int(fixes[i]) if fixes[i] else None
        except ValueError as exc:  # pydantic's ValidationError among them
            unreadable.report(unreadable_record("unit", area, callsign, exc))
            continue
        rows.append({
            "callsign": callsign,
            "area": area,
            "unit_type": unit_type,
            "status": statuses[i] or "unknown",
            "lon": round(position[0], 6) if position else None,
            "lat": round(position[1], 6) if position else None,
            "fix_ms": fix_ms,
            "ref": refs[i] or None,
        })  # fmt: skip
    return rows


async def read_incidents(
    redis: AsyncRedis, area: str, refs: Iterable[str], unreadable: UnreadableRecords
) -> list[Row]:
    """The named incidents of an area that exist, in the map's fields; one whose hash does not
    parse is left out and reported to `unreadable`."""
    names = list(dict.fromkeys(refs))
    if not names:
        return []
    keys = AreaKeys(area)
    async with redis.pipeline(transaction=False) as pipe:
        for ref in names:
            pipe.hmget(keys.incident(ref), _INCIDENT_FIELDS)
            pipe.zscore(keys.pending, ref)
        stored = await pipe.execute()
    rows = []
    for ref, values, score in zip(names, stored[::2], stored[1::2], strict=True):
        if all(value is None for value in values):
            continue  # no such incident (any more)
        try:
            row = incident_row(values)
        except ValueError as exc:
            unreadable.report(unreadable_record("incident", area, ref, exc))
            continue
        # The queue's own score, so that the page orders the queue exactly as the core does.
        rows.append(row | {"queue_score": score})
    return rows


def incident_row(values: list[str | None]) -> Row:
    """One incident from its hash values in `_INCIDENT_FIELDS` order ('' means absent);
    ValueError if a field the map needs is absent or a number does not parse."""
    missing = [n for n, v in zip(_INCIDENT_FIELDS, values, strict=True) if n in _NEEDED and not v]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    row: Row = {}
    for name, value in zip(_INCIDENT_FIELDS, values, strict=True):
        if value is None or value == "":
            row[name] = [] if name == "units" else None
        elif name in _NUMBERS:
            row[name] = float(value)
        elif name in _INTEGERS:
            row[name] = int(value)
        elif name == "units":
            row[name] = value.split(",")
        else:
            row[name] = value
    return row


async def open_incidents(redis: AsyncRedis, area: str, unreadable: UnreadableRecords) -> list[Row]:
    """The area's incidents not over yet: the open set, the queue, those units are committed to,
    and those awaiting their result (they leave the map once closed)."""
    keys = AreaKeys(area)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zrange(keys.open_incidents, 0, -1)
        pipe.zrange(keys.pending, 0, -1)
        pipe.hvals(keys.unit_incident)
        pipe.zrange(keys.awaiting_result, 0, -1)
        listed, pending, committed, awaiting = await pipe.execute()
    refs = [*pending, *listed, *committed, *awaiting]
    rows = await read_incidents(redis, area, refs, unreadable)
    return [row for row in rows if row["status"] not in FINAL_STATUSES]


async def pending_queue(redis: AsyncRedis, area: str) -> list[tuple[str, float]]:
    """The area's queue as the dispatch core orders it: grade first, then age."""
    entries: list[tuple[str, float]] = await redis.zrange(
        AreaKeys(area).pending, 0, -1, withscores=True
    )
    return entries


async def snapshot(
    redis: AsyncRedis, *, stale_fix_s: float, now_ms: int, unreadable: UnreadableRecords
) -> Row:
    """Everything the map draws, and the cursor its event stream should resume from (records
    that do not parse are left out and reported to `unreadable`)."""
    areas = await known_areas(redis)
    # The cursor is taken before the state: entries in between are replayed, never missed.
    cursor = await stream_heads(redis, areas)
    units: list[Row] = []
    incidents: list[Row] = []
    queue: list[Row] = []
    for area in sorted(areas):
        units += await read_units(redis, area, unreadable)
        incidents += await open_incidents(redis, area, unreadable)
        queue += [{"ref": r, "score": s} for r, s in await pending_queue(redis, area)]
    # Across areas the scores compare the same way: grade rank first, then creation time.
    queue.sort(key=lambda q: q["score"])
    return {
        "now_ms": now_ms,
        "stale_fix_s": stale_fix_s,
        "cursor": cursor,
        "units": units,
        "incidents": incidents,
        "queue": [q["ref"] for q in queue],
    }
