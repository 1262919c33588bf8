"""AVL ingest: unit positions written to Redis in pipelined batches."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from cad.events import AvlFix
from cad.keys import AreaKeys
from cad.logs import log

logger = logging.getLogger("cad.avl")


@dataclass(frozen=True)
class PositionFix:
    """One unit's fix, with the area that holds the unit."""

    area: str
    callsign: str
    fix: AvlFix


async def record_fixes(redis: Redis, fixes: Sequence[PositionFix]) -> None:
    """Store a batch of fixes in one round trip; an available unit moves in the dispatch set too."""
    async with redis.pipeline(transaction=False) as pipe:
        for item in fixes:
            keys = AreaKeys(item.area)
            lon, lat = item.fix.lon, item.fix.lat
            pipe.geoadd(keys.positions, (lon, lat, item.callsign))
            # XX: only a unit already in the available set moves there; a claimed one stays out.
            pipe.geoadd(keys.available, (lon, lat, item.callsign), xx=True)
            pipe.hset(keys.unit_fix, item.callsign, int(item.fix.ts.timestamp() * 1000))
        await pipe.execute()


class AvlBatcher:
    """Collects fixes from the MQTT loop and writes them in batches: few round trips a fleet."""

    def __init__(self, redis: Redis, *, max_batch: int = 1000, max_wait_s: float = 0.02) -> None:
        self._redis = redis
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._queue: asyncio.Queue[PositionFix] = asyncio.Queue(maxsize=100_000)
        self.written = 0

    def add(self, fix: PositionFix) -> bool:
        """Queue a fix; False when the queue is full (the fix is dropped: a newer one follows)."""
        try:
            self._queue.put_nowait(fix)
        except asyncio.QueueFull:
            return False
        return True

    async def run(self) -> None:
        """Write batches until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self._max_wait_s
            while len(batch) < self._max_batch:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), timeout))
                except TimeoutError:
                    break
            try:
                await record_fixes(self._redis, batch)
                self.written += len(batch)
            except RedisError as exc:
                # Positions are perishable: the next fixes replace a lost batch within seconds.
                log(logger, logging.WARNING, "avl_batch_dropped", size=len(batch), error=str(exc))
