"""Simulated MDTs for the demo: receive taskings, acknowledge, drive, attend, clear. Seeded.

One MQTT client stands in for the whole fleet here; issue 6's fleet simulator gives every unit
its own client and credentials.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

import aiomqtt

from cad.events import StatusReport, Tasking, UnitStatus, utcnow
from cad.payloads import Rejection, parse_payload
from cad.topics import Topics

# Simulated minutes pass this many times faster than real ones, so a short demo shows whole jobs.
TIME_SCALE = 60.0
_ON_SCENE_S = (10 * 60, 40 * 60)


class SimulatedFleet:
    """Acts as every unit's MDT: acknowledges taskings and works each job through to clear."""

    def __init__(
        self,
        client: aiomqtt.Client,
        topics: Topics,
        *,
        seed: int,
        on_tasking: Callable[[str, Tasking, float], None],
    ) -> None:
        self._client = client
        self._topics = topics
        self._rng = random.Random(seed)
        self._on_tasking = on_tasking
        self._jobs: set[asyncio.Task[None]] = set()
        self.cleared = 0

    async def run(self) -> None:
        """Receive taskings until cancelled."""
        await self._client.subscribe(f"{self._topics.root}/units/+/tasking", qos=1)
        async for message in self._client.messages:
            arrived = time.perf_counter()
            callsign = self._topics.callsign_of(message.topic.value)
            payload = message.payload if isinstance(message.payload, bytes) else b""
            tasking = parse_payload(Tasking, payload, max_bytes=1 << 20)
            if callsign is None or isinstance(tasking, Rejection):
                continue
            self._on_tasking(callsign, tasking, arrived)
            job = asyncio.create_task(self._work(callsign, tasking))
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)

    async def _work(self, callsign: str, tasking: Tasking) -> None:
        await asyncio.sleep(self._rng.uniform(0.2, 1.0))
        await self._report(callsign, UnitStatus.EN_ROUTE, tasking)
        await asyncio.sleep(tasking.eta_s / TIME_SCALE)
        await self._report(callsign, UnitStatus.ON_SCENE, tasking)
        await asyncio.sleep(self._rng.uniform(*_ON_SCENE_S) / TIME_SCALE)
        await self._report(callsign, UnitStatus.AVAILABLE, tasking)
        self.cleared += 1

    async def _report(self, callsign: str, status: UnitStatus, tasking: Tasking) -> None:
        report = StatusReport(
            status=status, ts=utcnow(), tasking_id=tasking.tasking_id,
            incident_ref=tasking.incident_ref,
        )  # fmt: skip
        await self._client.publish(
            self._topics.status(callsign), report.model_dump_json().encode(), qos=1
        )

    async def stop(self) -> None:
        """Abandon the jobs in progress (the demo is ending)."""
        for job in list(self._jobs):
            job.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)
