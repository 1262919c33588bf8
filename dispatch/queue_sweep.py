"""The periodic sweep of the pending queues: a waiting incident gets a unit as soon as one suits.

A freed unit serves its area's queue at once (dispatch/mdt_consumer.py), but a unit can become
suitable without any status report: an Immediate incident queued because no unit had a fresh
AVL fix waits until the next fix, which the AVL workers write straight to Redis. The sweep,
run every `CAD_QUEUE_SWEEP_INTERVAL_S` by the service's supervisor, offers every area's queue to
its available units again.
"""

from __future__ import annotations

import logging

from cad.keys import AreaKeys, GlobalKeys
from cad.logs import log
from cad.supervisor import report_failure
from dispatch.dispatcher import Dispatcher
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.dispatch.queue_sweep")

ACTOR = "auto:queue-sweep"


class QueueSweep:
    """One pass over every area's pending queue, as a freed unit would serve it."""

    def __init__(self, redis: AsyncRedis, dispatcher: Dispatcher) -> None:
        self._redis = redis
        self._dispatcher = dispatcher

    async def sweep_once(self) -> int:
        """Serve each area's queue; how many incidents were sent units. A failure in one area is
        logged with the area and the others are still served.

        Every replica runs this at the same time, and MDT reports serve the same queues: that is
        safe, because each claim is one atomic script that claims for an incident only while it
        has no units (`claim_plan.lua` answers `already` to the second claimer, who sends
        nothing), so no incident is sent twice and no unit goes to two incidents."""
        sent = 0
        for area in await self._areas_to_serve():
            try:
                sent += await self._dispatcher.serve_pending(area, actor=ACTOR)
            except Exception as error:
                report_failure(logger, "queue_sweep_failed", error, area=area)
        if sent:
            log(logger, logging.INFO, "queue_swept", sent=sent)
        return sent

    async def _areas_to_serve(self) -> list[str]:
        """The areas with an incident waiting and a unit in the available set, in one round
        trip: during a surge most areas have no unit free, and a claim there would find none."""
        areas = sorted(await self._redis.smembers(GlobalKeys().areas))
        async with self._redis.pipeline(transaction=False) as pipe:
            for area in areas:
                pipe.zcard(AreaKeys(area).pending)
                pipe.zcard(AreaKeys(area).available)
            counts = await pipe.execute()
        return [a for i, a in enumerate(areas) if counts[2 * i] and counts[2 * i + 1]]
