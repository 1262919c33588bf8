"""Calls and incidents as records: what recording a call did, a call's record and its caller's
hashed number, the creation fence's cells, incident references, and finding an incident."""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime
from enum import StrEnum

from cad.events import CallEvent
from cad.incident_record import IncidentRecord, read_incident
from cad.keys import AreaKeys, GlobalKeys
from callhandling.refs import format_ref, london_day
from transport.redis_types import AsyncRedis
from transport.scripts import Batch, Queued

# A day's sequence counter outlives the day by a margin, then goes.
_SEQUENCE_TTL_S = 3 * 24 * 3600
# Map cells for the creation fence: about 1.4 km by 1.5 km in London.
_CELL_LON, _CELL_LAT = 0.02, 0.0135


class Outcome(StrEnum):
    """What recording a call did."""

    CREATED = "created"
    LINKED = "linked"
    REPLAYED = "replayed"
    RETRY = "retry"


def cli_hash(cli: str | None, salt: str) -> str | None:
    """A salted hash of the caller's number: enough to match repeat callers, not to dial them."""
    digits = "".join(c for c in cli or "" if c.isdigit())
    if not digits:
        return None
    return hashlib.sha256(f"{salt}:{digits[-10:]}".encode()).hexdigest()[:16]


def fence_cells(lon: float, lat: float) -> list[str]:
    """The call's map cell first, then its eight neighbours."""
    x, y = math.floor(lon / _CELL_LON), math.floor(lat / _CELL_LAT)
    return [f"{x + dx}:{y + dy}" for dx, dy in [(0, 0), *_AROUND]]


_AROUND = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)]


def call_fields(event: CallEvent, hashed_cli: str | None, *, recorded_ms: int) -> dict[str, str]:
    """The call record kept for the contact (caller data expires with the record)."""
    loc = event.location
    return {
        "call_id": event.call_id,
        "source": event.source.value,
        # The client's clock, bounded at the edge (cad/clock_bounds.py): the call's clocks and
        # queue place run from it. Beside it, the service's own: when the call was recorded.
        "received_ms": str(int(event.received_at.timestamp() * 1000)),
        "recorded_ms": str(recorded_ms),
        "lon": repr(loc.lon),
        "lat": repr(loc.lat),
        "radius_m": "" if loc.radius_m is None else repr(loc.radius_m),
        "incident_type": event.incident_type or "",
        "cli": event.cli or "",
        "cli_hash": hashed_cli or "",
        "text": event.text or "",
    }


async def next_ref(redis: AsyncRedis, now: datetime) -> str:
    """Allocate the next incident reference of the London day."""
    batch = Batch()
    ref = queue_next_ref(batch, london_day(now))
    return ref.answer(await batch.run(redis))


def queue_next_ref(batch: Batch, day: date) -> Queued[str]:
    """Queue the allocation of the day's next reference: the day's INCR, and its counter's
    expiry."""
    key = GlobalKeys().ref_sequence(day.strftime("%Y%m%d"))
    sequence = batch.command(lambda n: format_ref(int(n), day), "INCR", key)
    # The day's counter goes with the day (plus a margin); NX: set once, by its first INCR.
    batch.command(bool, "EXPIRE", key, _SEQUENCE_TTL_S, "NX")
    return sequence


async def find_incident(redis: AsyncRedis, ref: str) -> IncidentRecord | None:
    """Look an incident up by its ref alone, through the ref directory (and, while an incident
    moving to another area is still listed under the old one, its forwarding key there)."""
    area = await redis.hget(GlobalKeys().incident_area, ref)
    if area is None:
        return None
    found = await read_incident(redis, area, ref)
    if found is None:
        moved_to = await redis.get(AreaKeys(area).moved(ref))
        if moved_to is not None:
            return await read_incident(redis, moved_to, ref)
    return found
