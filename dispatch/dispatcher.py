"""Dispatching: claim a unit for an incident and send it the tasking; serve the pending queue."""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis

from cad.events import Grade, Tasking
from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys
from cad.logs import log
from cad.publisher import Publisher
from cad.topics import Topics
from dispatch.claims import ClaimOutcome, ClaimResult, claim_nearest
from dispatch.incident_store import read_incident
from dispatch.scripts import DispatchScripts
from dispatch.taskings import build_tasking, send_tasking

logger = logging.getLogger("cad.dispatch")

# Immediate and Significant incidents are sent automatically; Extended and Referred wait.
AUTO_DISPATCH_GRADES = frozenset({Grade.IMMEDIATE, Grade.SIGNIFICANT})
# How far down the pending queue one freed unit looks: the queue is ordered, so the head matters.
_PENDING_SCAN = 32


class Dispatcher:
    """Claims units atomically and sends their taskings."""

    def __init__(
        self,
        redis: Redis,
        scripts: DispatchScripts,
        publisher: Publisher,
        topics: Topics,
        radii_m: tuple[int, ...],
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._publisher = publisher
        self._topics = topics
        self._radii_m = radii_m

    async def dispatch(self, incident: IncidentRecord, *, actor: str) -> ClaimResult:
        """Claim the nearest unit when the grade is dispatched automatically; else queue it."""
        auto = incident.grade in AUTO_DISPATCH_GRADES
        claim = await claim_nearest(
            self._scripts,
            area=incident.area,
            ref=incident.ref,
            lon=incident.lon,
            lat=incident.lat,
            grade=incident.grade,
            created_ms=incident.created_ms,
            radii_m=self._radii_m if auto else (),
            now_ms=int(time.time() * 1000),
            actor=actor,
        )
        if claim.outcome is ClaimOutcome.CLAIMED and claim.callsign is not None:
            tasking = build_tasking(
                incident, tasking_id=claim.tasking_id, distance_m=claim.distance_m or 0.0
            )
            await self._send(claim.callsign, tasking)
        return claim

    async def serve_pending(self, area: str, *, actor: str) -> int:
        """Dispatch waiting I and S incidents of the area, in queue order, while units remain."""
        sent = 0
        refs = await self._redis.zrange(AreaKeys(area).pending, 0, _PENDING_SCAN - 1)
        for ref in refs:
            incident = await read_incident(self._redis, area, ref)
            if incident is None or incident.grade not in AUTO_DISPATCH_GRADES:
                continue
            claim = await self.dispatch(incident, actor=actor)
            if claim.outcome is ClaimOutcome.QUEUED:
                break  # no unit left in the area: the rest of the queue waits too
            sent += claim.outcome is ClaimOutcome.CLAIMED
        return sent

    async def _send(self, callsign: str, tasking: Tasking) -> None:
        await send_tasking(self._publisher, self._topics, callsign, tasking)
        log(
            logger,
            logging.INFO,
            "tasking_sent",
            incident_ref=tasking.incident_ref,
            call_id=tasking.call_id,
            callsign=callsign,
            tasking_id=tasking.tasking_id,
        )
