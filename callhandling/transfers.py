"""Incidents that are another force's (callhandling/jurisdiction.py): the transfer queue, and
recording the hand-over (the message to that force is not sent from here)."""

from __future__ import annotations

import time

from cad.errors import ConflictError, NotFoundError
from cad.incident_record import IncidentRecord, IncidentStatus, read_incident
from cad.keys import AreaKeys, GlobalKeys
from cad.unreadable import UnreadableRecords
from callhandling.lifecycle import ALLOWED_FROM
from callhandling.lua.transfer_incident import transfer_incident
from callhandling.queue import read_many
from callhandling.scripts import CallScripts
from transport.redis_types import AsyncRedis


async def transfer_queue(
    redis: AsyncRedis, *, limit: int, unreadable: UnreadableRecords
) -> list[IncidentRecord]:
    """The incidents held for hand-over, of every area, oldest call first (one closed or
    cancelled meanwhile is left out)."""
    found: list[tuple[int, str, str]] = []
    for area in sorted(await redis.smembers(GlobalKeys().areas)):
        entries = await redis.zrange(AreaKeys(area).transfer, 0, limit - 1, withscores=True)
        found += [(int(score), area, ref) for ref, score in entries]
    found.sort()
    incidents = await read_many(redis, [(area, ref) for _, area, ref in found], unreadable)
    return [i for i in incidents if i.status == IncidentStatus.TRANSFER][:limit]


async def record_transfer(
    redis: AsyncRedis,
    scripts: CallScripts,
    incident: IncidentRecord,
    *,
    force: str,
    reference: str,
    note: str,
    actor: str,
) -> IncidentRecord:
    """Record that `incident` was handed over to `force` (final; 409 while a unit is still
    committed to it, or once it is final)."""
    answer = await transfer_incident(
        scripts, area=incident.area, ref=incident.ref, force=force, reference=reference,
        note=note, allowed_from=ALLOWED_FROM[IncidentStatus.TRANSFERRED],
        now_ms=int(time.time() * 1000), actor=actor,
    )  # fmt: skip
    if answer.outcome == "missing":
        raise NotFoundError(f"ref: no incident {incident.ref!r}")
    if answer.outcome == "rejected":
        raise ConflictError(f"status: {answer.reason} (current status: {answer.status})")
    updated = await read_incident(redis, incident.area, incident.ref)
    if updated is None:
        raise NotFoundError(f"ref: no incident {incident.ref!r}")
    return updated
