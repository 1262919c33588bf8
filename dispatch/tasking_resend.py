"""Taskings sent again while unacknowledged: a broker lost with a tasking in it loses nothing.

A tasking still unacknowledged `CAD_TASKING_RESEND_S` after it was sent (or last sent again) is
sent again under its own id until the MDT acknowledges it or the acknowledgement watch escalates
it (`CAD_ACK_TIMEOUT_S`). An MDT that moved to another broker of the tier after its own was
lost, with the tasking queued in it, gets it there; one that had it already takes an id once.
"""

from __future__ import annotations

import logging
import time

from cad.incident_record import read_incident
from cad.keys import GlobalKeys
from cad.supervisor import report_failure
from dispatch.acks import DueTasking, due_taskings
from dispatch.dispatcher import Dispatcher
from dispatch.lent_status import borrowing_area
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.acks")


class TaskingResend:
    """One round at a time (`resend_once`, run every second by the supervisor)."""

    def __init__(self, redis: AsyncRedis, dispatcher: Dispatcher, *, resend_s: float) -> None:
        self._redis = redis
        self._dispatcher = dispatcher
        self._resend_ms = int(resend_s * 1000)
        # When this replica last sent each tasking again. The job is led by one replica at a
        # time; a new leader starts without this memory and may send one again a little early,
        # which the MDT, taking an id once, ignores.
        self._sent_ms: dict[str, int] = {}

    async def resend_once(self) -> int:
        """Send again every tasking due; how many were sent. A failure in one area or one
        tasking is logged with its context and the round goes on."""
        if self._resend_ms == 0:
            return 0
        now_ms = int(time.time() * 1000)
        cutoff_ms = now_ms - self._resend_ms
        due: list[DueTasking] = []
        for area in sorted(await self._redis.smembers(GlobalKeys().areas)):
            try:
                due += await due_taskings(self._redis, area, cutoff_ms=cutoff_ms)
            except Exception as error:
                report_failure(logger, "tasking_resend_failed", error, area=area)
        self._sent_ms = {t.tasking_id: self._sent_ms.get(t.tasking_id, 0) for t in due}
        sent = 0
        for tasking in due:
            if self._sent_ms[tasking.tasking_id] > cutoff_ms:
                continue
            try:
                await self._send(tasking)
            except Exception as error:
                report_failure(logger, "tasking_resend_failed", error, area=tasking.area,
                               callsign=tasking.callsign, incident_ref=tasking.ref)  # fmt: skip
                continue
            self._sent_ms[tasking.tasking_id] = now_ms
            sent += 1
        return sent

    async def _send(self, due: DueTasking) -> None:
        # A unit lent to another area's incident: the incident lives where it was borrowed to.
        area = await borrowing_area(self._redis, area=due.area, ref=due.ref) or due.area
        incident = await read_incident(self._redis, area, due.ref)
        if incident is not None and incident.status != "closed":
            await self._dispatcher.send_again(incident, due.callsign, due.tasking_id)
