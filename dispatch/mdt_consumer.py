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
from collections.abc import Mapping
from dataclasses import replace

from cad.clock_bounds import ClockBounds
from cad.errors import MqttUnavailableError, NotFoundError
from cad.events import StatusReport, UnitStatus, utcnow
from cad.logs import log
from cad.payloads import Rejection, parse_payload
from cad.publisher import Publisher
from cad.topics import Topics
from dispatch.directory import UnitDirectory
from dispatch.dispatcher import PENDING_ACTOR, Dispatcher
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import StatusChange, apply_status
from transport.deadletter import reject
from transport.durable import until_settled
from transport.mqtt_client import Message
from transport.redis_types import AsyncRedis
from transport.tasks import TaskPool

logger = logging.getLogger("cad.mdt")


class MdtConsumer:
    """Handles `cad/units/+/status`."""

    def __init__(
        self,
        redis: AsyncRedis,
        scripts: DispatchScripts,
        publisher: Publisher,
        topics: Topics,
        dispatcher: Dispatcher,
        *,
        max_payload_bytes: int,
        pool: TaskPool,
        give_up_after_s: float,
        clock_bounds: ClockBounds,
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._publisher = publisher
        self._topics = topics
        self._dispatcher = dispatcher
        self._max_payload_bytes = max_payload_bytes
        self._pool = pool
        self._give_up_after_s = give_up_after_s
        self._clock_bounds = clock_bounds
        self._directory = UnitDirectory(redis)
        # Reports of one unit must apply in the order they came: one lock per callsign.
        self._unit_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle_status(self, message: Message) -> asyncio.Task[None]:
        """Route handler for status reports; the task acknowledges the message when done."""
        topic, payload = message.topic.value, message.payload
        callsign = self._topics.callsign_of(topic)
        parsed = parse_payload(StatusReport, payload, max_bytes=self._max_payload_bytes)
        if callsign is None or isinstance(parsed, Rejection):
            reason = (
                "topic: no callsign" if callsign is None else str(getattr(parsed, "reason", ""))
            )
            return await self._pool.spawn(self._reject(topic, payload, reason), name="reject")
        refused = self._clock_refusal(parsed)
        if refused is not None:
            return await self._pool.spawn(self._reject(topic, payload, refused), name="reject")
        return await self._pool.spawn(self._settle(topic, payload, callsign, parsed), name=callsign)

    def _clock_refusal(self, report: StatusReport) -> str | None:
        bounds = self._clock_bounds
        if report.status is UnitStatus.LINK_LOST:
            # A last will is stamped when the MDT connects and published when its link dies,
            # perhaps a day later: its age says nothing, and refusing it would leave a unit that
            # cannot be reached available for dispatch. Its lead over the clock still counts.
            bounds = replace(bounds, max_age_s=None)
        return bounds.refusal("ts", report.ts, now=utcnow())

    async def _settle(
        self, topic: str, payload: bytes, callsign: str, report: StatusReport
    ) -> None:
        # The lock comes first: a unit's reports must not overtake one another, not while the
        # first of them looks up the unit's area (the directory's cache is cold after a start),
        # nor while it waits out a Redis outage.
        async with self._unit_locks[callsign]:
            change: list[tuple[str, StatusChange]] = []

            async def apply() -> None:
                change.append(await self._apply(callsign, report))

            async def give_up(reason: str) -> None:
                await self._reject(topic, payload, reason)

            await until_settled(
                apply, give_up=give_up, give_up_after_s=self._give_up_after_s,
                context={"callsign": callsign},
            )  # fmt: skip
        if change:
            await self._tell(callsign, report, *change[-1])

    async def _apply(self, callsign: str, report: StatusReport) -> tuple[str, StatusChange]:
        """Apply the report: the unit's area and what became of it (an unknown unit raises)."""
        area = await self._directory.area_of(callsign)
        if area is None:
            raise NotFoundError(f"callsign: unknown unit {callsign}")
        return area, await apply_status(
            self._redis,
            self._scripts,
            area=area,
            callsign=callsign,
            status=report.status,
            now_ms=int(time.time() * 1000),
            actor=f"mdt:{callsign}",
            tasking_id=report.tasking_id,
        )

    async def _tell(
        self, callsign: str, report: StatusReport, area: str, change: StatusChange
    ) -> None:
        """Answer a refused report on the unit's reply topic; serve the queue when available."""
        if not change.applied:
            reply = {
                "status": report.status.value,
                "accepted": False,
                "reason": change.reason,
                "current": change.previous,
            }
            if report.tasking_id is not None:
                reply["tasking_id"] = report.tasking_id
            log(
                logger,
                logging.INFO,
                "status_refused",
                callsign=callsign,
                incident_ref=change.incident_ref,
                reason=change.reason,
            )
            await self._best_effort(self._topics.status_reply(callsign), reply, callsign)
            return
        log(
            logger,
            logging.INFO,
            "status_unchanged" if change.unchanged else "status_changed",
            callsign=callsign,
            incident_ref=change.incident_ref,
            status=report.status.value,
            previous=change.previous,
            tasking_id=report.tasking_id,
        )
        if report.status is UnitStatus.AVAILABLE:
            try:
                await self._dispatcher.serve_pending(area, actor=PENDING_ACTOR)
            except Exception as exc:
                # The report is applied (durable): the queue sweep serves the queue if this fails.
                log(
                    logger, logging.WARNING, "serve_pending_failed", callsign=callsign,
                    area=area, error=f"{type(exc).__name__}: {exc}",
                )  # fmt: skip

    async def _best_effort(self, topic: str, reply: Mapping[str, object], callsign: str) -> None:
        # The report's effect is recorded; a reply the broker cannot take now is not worth
        # having the report sent again (and refused again) for.
        try:
            await self._publisher.publish(topic, json.dumps(reply).encode(), qos=1)
        except MqttUnavailableError as exc:
            log(logger, logging.WARNING, "reply_not_sent", callsign=callsign, error=str(exc))

    async def _reject(self, topic: str, payload: bytes, reason: str) -> None:
        await reject(
            self._redis, self._publisher, self._topics, topic=topic, payload=payload, reason=reason
        )
