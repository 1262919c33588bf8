"""One simulated MDT: its own login and last will; acknowledges, drives, attends, clears."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from cad.events import AvlFix, StatusReport, Tasking, UnitStatus, utcnow
from cad.logs import log
from cad.payloads import Rejection, parse_payload
from cad.topics import Topics
from cad.waits import cancel_and_wait
from dispatch.units import Unit
from service.demo.driving import Leg, blue_light_leg, draw_job_times, patrol_leg
from service.demo.mdt_client import mdt_client
from transport.broker_tier import BrokerRotation, broker_urls
from transport.mqtt_client import Client, Message, MqttError

logger = logging.getLogger("cad.demo.mdt")

TaskingSeen = Callable[[str, Tasking, float], None]
# A parked MDT still reports its position now and then, so it never counts as stale.
_PARKED_AVL_S = 30.0
_MAX_BACKOFF_S = 5.0
# Tasking ids remembered, so that one sent again (on every broker of a tier, or re-sent while
# unacknowledged) is worked once.
_SEEN_TASKINGS = 64


@dataclass(frozen=True)
class SimPace:
    """Simulated seconds per real second, and how often (real seconds) a moving unit reports."""

    time_scale: float
    avl_every_s: float

    def real(self, simulated_s: float) -> float:
        """Real seconds for a span of simulated time."""
        return simulated_s / self.time_scale


@dataclass
class FleetTally:
    """What the fleet did, for the demo's progress lines and summary."""

    acknowledged: int = 0
    cleared: int = 0
    withdrawn: int = 0
    refused: int = 0


class SimulatedMdt:
    """Connects as its unit, keeps reconnecting, and works every tasking it receives."""

    def __init__(
        self,
        unit: Unit,
        password: str,
        *,
        mqtt_url: str,
        topics: Topics,
        seed: int,
        pace: SimPace,
        tally: FleetTally,
        on_tasking: TaskingSeen,
        brokers: str = "",
    ) -> None:
        self.unit = unit
        self._password = password
        # `mqtt_url` alone, or on each broker of a tier (`CAD_MQTT_BROKERS`): one at a time,
        # the next when the one it is on is lost.
        self._brokers = BrokerRotation(broker_urls(mqtt_url, brokers))
        self._seen: deque[str] = deque(maxlen=_SEEN_TASKINGS)
        self._topics = topics
        self._rng = random.Random(f"{seed}:{unit.callsign}")
        self._pace = pace
        self._tally = tally
        self._on_tasking = on_tasking
        self.position = (unit.base_lon, unit.base_lat)
        self._client: Client | None = None
        self._job: asyncio.Task[None] | None = None
        self._moving = False
        self.connected = asyncio.Event()
        # The last status report the broker took (PUBACK), and the last refusal the service
        # sent back: what the unit's status must come to once the service has caught up.
        self.last_report: StatusReport | None = None
        self.last_refusal: dict[str, object] | None = None
        # Where the crew stands (its status and the tasking it works), whether or not the
        # report of it got through; and the tasking of the job under way.
        self._standing: tuple[UnitStatus, str | None] = (UnitStatus.AVAILABLE, None)
        self._tasking_id: str | None = None

    async def run(self) -> None:
        """Stay connected until cancelled; a unit back after a lost link says where it is."""
        backoff, lost = 0.2, False
        try:
            while True:
                try:
                    async with self._connect() as client:
                        self._client = client
                        await client.subscribe(self._topics.tasking(self.unit.callsign), qos=1)
                        await client.subscribe(self._topics.status_reply(self.unit.callsign), qos=1)
                        self.connected.set()
                        backoff = 0.2
                        if lost:
                            # Back in coverage: say where the crew stands now.
                            await self._report(*self._standing)
                        parked = asyncio.create_task(self._parked_reports())
                        try:
                            async for message in client.messages:
                                await self._receive(message)
                        finally:
                            parked.cancel()
                except MqttError as exc:
                    log(logger, logging.INFO, "mdt_link_down", callsign=self.unit.callsign,
                        error=str(exc))  # fmt: skip
                    self._brokers.failed()
                self._client, lost = None, True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
        finally:
            await self._cancel_job()

    def _connect(self) -> Client:
        return mdt_client(self._brokers.current, self._topics, self.unit.callsign, self._password)

    async def _receive(self, message: Message) -> None:
        topic, payload = message.topic.value, message.payload
        if topic == self._topics.tasking(self.unit.callsign):
            tasking = parse_payload(Tasking, payload, max_bytes=1 << 16)
            if isinstance(tasking, Rejection):
                return
            if tasking.tasking_id in self._seen:
                # Sent again (QoS 1 after a reconnect, another broker, a re-send): worked once.
                # Already reported on it: say so again, in case that report went with a broker
                # (before the crew's first report there is nothing to repeat).
                status, about = self._standing
                if about == tasking.tasking_id and self.working:
                    await self._report(status, about)
                return
            self._seen.append(tasking.tasking_id)
            self._on_tasking(self.unit.callsign, tasking, time.perf_counter())
            # A newer tasking (a pre-emption) replaces whatever the crew was doing.
            self._tasking_id = tasking.tasking_id
            await self._start(self._work(tasking))
            return
        reply = json.loads(payload or b"{}")
        if reply.get("withdrawn"):
            # The service gave the job to another unit: report back in service.
            self._tally.withdrawn += 1
            await self._cancel_job()
            await self._report(UnitStatus.AVAILABLE)
        elif reply.get("accepted") is False:
            self._tally.refused += 1
            self.last_refusal = reply

    async def _start(self, work: Coroutine[Any, Any, None]) -> None:
        await self._cancel_job()
        self._job = asyncio.create_task(work)

    async def _cancel_job(self) -> None:
        job, self._job = self._job, None
        if job is not None and not job.done():
            await cancel_and_wait(job)

    async def _work(self, tasking: Tasking) -> None:
        times = draw_job_times(self._rng)
        await asyncio.sleep(self._pace.real(times.reaction_s))
        await self._report(UnitStatus.EN_ROUTE, tasking.tasking_id)
        self._tally.acknowledged += 1
        scene = (tasking.location.lon, tasking.location.lat)
        await self._drive(blue_light_leg(self.position, scene))
        await self._report(UnitStatus.ON_SCENE, tasking.tasking_id)
        await asyncio.sleep(self._pace.real(times.on_scene_s))
        await self._report(UnitStatus.AVAILABLE, tasking.tasking_id)
        self._tally.cleared += 1
        # Back to patrol near the base; the next tasking cuts this short.
        await self._drive(patrol_leg(self.position, (self.unit.base_lon, self.unit.base_lat)))

    async def _drive(self, leg: Leg) -> None:
        real_duration = self._pace.real(leg.duration_s)
        started = time.monotonic()
        self._moving = True
        try:
            while True:
                elapsed = time.monotonic() - started
                self.position = leg.position_at(elapsed * self._pace.time_scale)
                await self._avl(leg.speed_mps if elapsed < real_duration else 0.0, leg.heading)
                if elapsed >= real_duration:
                    return
                await asyncio.sleep(min(self._pace.avl_every_s, real_duration - elapsed))
        finally:
            self._moving = False

    async def _parked_reports(self) -> None:
        await asyncio.sleep(self._rng.uniform(0.0, _PARKED_AVL_S))
        while True:
            if not self._moving:
                await self._avl(0.0, None)
            await asyncio.sleep(_PARKED_AVL_S)

    async def _avl(self, speed_mps: float, heading: float | None) -> None:
        fix = AvlFix(
            lon=self.position[0], lat=self.position[1], ts=utcnow(),
            speed_mps=min(speed_mps, 120.0), heading=heading,
        )  # fmt: skip
        await self._publish(self._topics.avl(self.unit.callsign), fix.model_dump_json(), qos=0)

    @property
    def working(self) -> bool:
        """Whether a job (a tasking being worked) is under way."""
        return self._job is not None and not self._job.done()

    async def _report(self, status: UnitStatus, tasking_id: str | None = None) -> None:
        self._standing = (status, tasking_id)
        report = StatusReport(status=status, ts=utcnow(), tasking_id=tasking_id)
        topic = self._topics.status(self.unit.callsign)
        if await self._publish(topic, report.model_dump_json(), 1):
            self.last_report = report

    async def _publish(self, topic: str, payload: str, qos: int) -> bool:
        """Whether the broker took it (QoS 1: its PUBACK came back)."""
        client = self._client
        if client is None:
            return False  # off the air: a real MDT would report again once back
        try:
            await client.publish(topic, payload.encode(), qos=qos)
        except MqttError:
            return False
        return True
