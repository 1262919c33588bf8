"""The MDT side of MQTT: status reports, applied in order per unit (AVL: dispatch/avl_worker.py).

A report of `en_route` naming the unit's tasking is its acknowledgement (dispatch/acks.py); the
broker publishes an MDT's last will, `link_lost`, on the same topic when its connection dies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from dataclasses import replace

import aiomqtt
from redis.asyncio import Redis

from cad.clock_bounds import ClockBounds, status_clock
from cad.deadletter import reject
from cad.events import StatusReport, UnitStatus, utcnow
from cad.logs import log
from cad.payloads import Rejection, parse_payload
from cad.publisher import Publisher
from cad.settings import Settings
from cad.tasks import TaskPool, payload_bytes
from cad.topics import Topics
from dispatch.directory import UnitDirectory
from dispatch.dispatcher import Dispatcher
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status

logger = logging.getLogger("cad.mdt")

# The settings' defaults (CAD_CLOCK_SKEW_S, CAD_MAX_STATUS_AGE_S): what a consumer built without
# `clock_bounds` holds the reports' stamps to.
DEFAULT_STATUS_BOUNDS = status_clock(Settings.model_construct())


class MdtConsumer:
    """Handles `cad/units/+/status`."""

    def __init__(
        self,
        redis: Redis,
        scripts: DispatchScripts,
        publisher: Publisher,
        topics: Topics,
        dispatcher: Dispatcher,
        *,
        max_payload_bytes: int,
        pool: TaskPool,
        clock_bounds: ClockBounds = DEFAULT_STATUS_BOUNDS,
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._publisher = publisher
        self._topics = topics
        self._dispatcher = dispatcher
        self._max_payload_bytes = max_payload_bytes
        self._pool = pool
        self._clock_bounds = clock_bounds
        self._directory = UnitDirectory(redis)
        # Reports of one unit must apply in the order they came: one lock per callsign.
        self._unit_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle_status(self, message: aiomqtt.Message) -> None:
        """Route handler for status reports."""
        topic, payload = message.topic.value, payload_bytes(message.payload)
        callsign = self._topics.callsign_of(topic)
        parsed = parse_payload(StatusReport, payload, max_bytes=self._max_payload_bytes)
        if callsign is None or isinstance(parsed, Rejection):
            reason = (
                "topic: no callsign" if callsign is None else str(getattr(parsed, "reason", ""))
            )
            await self._pool.spawn(self._reject(topic, payload, reason), name="reject")
            return
        refused = self._clock_refusal(parsed)
        if refused is not None:
            await self._pool.spawn(self._reject(topic, payload, refused), name="reject")
            return
        await self._pool.spawn(self._apply(topic, payload, callsign, parsed), name=callsign)

    def _clock_refusal(self, report: StatusReport) -> str | None:
        bounds = self._clock_bounds
        if report.status is UnitStatus.LINK_LOST:
            # A last will is stamped when the MDT connects and published when its link dies,
            # perhaps a day later: its age says nothing, and refusing it would leave a unit that
            # cannot be reached available for dispatch. Its lead over the clock still counts.
            bounds = replace(bounds, max_age_s=None)
        return bounds.refusal("ts", report.ts, now=utcnow())

    async def _apply(self, topic: str, payload: bytes, callsign: str, report: StatusReport) -> None:
        # The lock comes first: a unit's reports must not overtake one another while the first
        # of them looks up the unit's area (the directory's cache is cold after a start).
        async with self._unit_locks[callsign]:
            area = await self._directory.area_of(callsign)
            if area is None:
                await self._reject(topic, payload, "callsign: unknown unit")
                return
            change = await apply_status(
                self._redis,
                self._scripts,
                area=area,
                callsign=callsign,
                status=report.status,
                now_ms=int(time.time() * 1000),
                actor=f"mdt:{callsign}",
                tasking_id=report.tasking_id,
            )
        if not change.applied:
            reply = {
                "status": report.status.value,
                "accepted": False,
                "reason": change.reason,
                "current": change.previous,
            }
            if report.tasking_id is not None:
                reply["tasking_id"] = report.tasking_id
            await self._publisher.publish(
                self._topics.status_reply(callsign), json.dumps(reply).encode(), qos=1
            )
            log(
                logger,
                logging.INFO,
                "status_refused",
                callsign=callsign,
                incident_ref=change.incident_ref,
                reason=change.reason,
            )
            return
        log(
            logger,
            logging.INFO,
            "status_changed",
            callsign=callsign,
            incident_ref=change.incident_ref,
            status=report.status.value,
            previous=change.previous,
            tasking_id=report.tasking_id,
        )
        if report.status is UnitStatus.AVAILABLE:
            await self._dispatcher.serve_pending(area, actor="auto:pending")

    async def _reject(self, topic: str, payload: bytes, reason: str) -> None:
        await reject(
            self._redis, self._publisher, self._topics, topic=topic, payload=payload, reason=reason
        )
