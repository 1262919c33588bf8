"""Chaos: kill -9 every kind of process at seeded random moments under a storm, then reconcile.

Two service replicas (each with an AVL worker), redis-server (AOF, fsync always) and mosquitto
(logins, persistence) of this test alone. A gateway publishes QoS 1 calls at real London
incident locations while a simulated fleet (each MDT its own login and last will) acknowledges
its taskings, reports AVL and works each job to clear. Meanwhile each of a replica, an AVL
worker, redis-server and mosquitto is killed -9 several times, one fault at a time, and
restarted (an AVL worker by its replica's supervisor). Then:
- every call the broker accepted is a call record (an incident's) or a dead letter with a reason;
- replaying every area's audit stream, no unit was ever assigned while committed elsewhere;
- every MDT's unit stands at the status of the last report the broker took from it (or that
  report was refused, and the MDT told why): none was dropped;
- both replicas are ready, every supervised task healthy.
The counts are printed (`pytest -s`) and recorded in docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from redis.asyncio import Redis

from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import register_scripts
from dispatch.units import register_fleet
from service.demo.mdt_sim import SimulatedFleet
from service.demo.sim_unit import SimulatedMdt
from service.servers import EmbeddedServer
from tests.ha.storm import (
    MDT_SECRET,
    StormPlan,
    publish_calls,
    reckon,
    running_replicas,
    single_node,
    storm_settings,
)
from tests.helpers import readiness
from tests.reliability.conftest import ServiceProcess
from transport.broker_security import development_credentials

SEED = int(os.environ.get("CAD_CHAOS_SEED", "1729"))
STORM_S = 48.0
STRIKES_EACH = 2
KINDS = ("replica", "avl_worker", "redis", "mosquitto")
DOWN_S = 1.0
# Two replicas, each with an AVL worker; the intake's and the led jobs' leases 3 s.
PLAN = StormPlan(
    seed=SEED, replicas=2, seconds=STORM_S, calls_per_s=5.0, units_per_area=4, avl_workers=1,
    lease_s=3.0,
)  # fmt: skip


@dataclass
class Strikes:
    """What was killed, when (seconds into the storm)."""

    done: list[tuple[float, str, str]] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """Kills by kind."""
        return Counter(kind for _, kind, _ in self.done)


@dataclass
class Cluster:
    """The test's own servers and the two replicas."""

    redis: EmbeddedServer
    broker: EmbeddedServer
    replicas: dict[str, ServiceProcess]
    settings: Settings


@contextlib.asynccontextmanager
async def _cluster(tmp_path: Path, plan: StormPlan) -> AsyncIterator[Cluster]:
    with single_node(tmp_path, plan) as (plain, redis, broker):
        settings = storm_settings(plain)
        # The fleet first: a replica ready before it exists would find no unit to send.
        client = Redis.from_url(settings.redis_url, decode_responses=True)
        try:
            await register_fleet(
                client, register_scripts(client), plan.fleet(), now_ms=int(time.time() * 1000),
                actor="chaos",
            )  # fmt: skip
        finally:
            await client.aclose()
        async with running_replicas(settings, plan, tmp_path) as replicas:
            yield Cluster(redis, broker, replicas, settings)


def _avl_workers(process: ServiceProcess) -> list[psutil.Process]:
    if process.proc is None:
        return []
    with contextlib.suppress(psutil.NoSuchProcess):
        parent = psutil.Process(process.proc.pid)
        return [
            child
            for child in parent.children()
            if "dispatch.avl_worker" in " ".join(child.cmdline())
        ]
    return []


def _striker(cluster: Cluster, rng: random.Random) -> Callable[[str], Awaitable[str]]:
    async def strike(kind: str) -> str:
        if kind == "replica":
            login = rng.choice(sorted(cluster.replicas))
            cluster.replicas[login].kill()
            await asyncio.sleep(DOWN_S)
            cluster.replicas[login].start()
            return login
        if kind == "avl_worker":
            workers = [w for p in cluster.replicas.values() for w in _avl_workers(p)]
            if not workers:
                return "none running"
            victim = rng.choice(workers)
            victim.kill()
            return f"pid {victim.pid}"
        server = cluster.redis if kind == "redis" else cluster.broker
        server.kill()
        await asyncio.sleep(DOWN_S)
        server.start()
        return server.name

    return strike


async def _storm(cluster: Cluster, strikes: Strikes, rng: random.Random) -> list[str]:
    schedule = [kind for kind in KINDS for _ in range(STRIKES_EACH)]
    rng.shuffle(schedule)
    # One fault at a time: each strike in its own slot of the storm, at a random moment in it.
    slot = (STORM_S - 6.0) / len(schedule)
    due = [3.0 + i * slot + rng.uniform(0.0, slot - DOWN_S - 2.0) for i in range(len(schedule))]
    strike = _striker(cluster, rng)
    started = time.monotonic()

    async def chaos() -> None:
        for at, kind in zip(due, schedule, strict=True):
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            what = await strike(kind)
            strikes.done.append((round(time.monotonic() - started, 1), kind, what))

    accepted: list[str] = []
    striking = asyncio.create_task(chaos())
    try:
        await publish_calls(
            cluster.settings, PLAN, started + STORM_S, accepted.append, prefix="chaos"
        )
        await striking
    finally:
        striking.cancel()
    return accepted


def _unsettled_reports(mdts: list[SimulatedMdt], statuses: dict[str, str]) -> list[str]:
    """Units whose status is not that of their MDT's last report the broker took, unless the
    service refused that report and said why."""
    wrong = []
    for mdt in mdts:
        last, refusal = mdt.last_report, mdt.last_refusal
        if last is None:
            continue
        current = statuses.get(mdt.unit.callsign)
        refused = refusal is not None and refusal.get("status") == last.status.value
        if current != last.status.value and not refused:
            wrong.append(f"{mdt.unit.callsign}: {current}, last reported {last.status.value}")
    return wrong


@pytest.mark.slow
async def test_chaos_kill_9_of_every_process_under_a_storm_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    fleet = PLAN.fleet()
    fleet_areas = {u.area for u in fleet}
    async with _cluster(tmp_path, PLAN) as cluster:
        redis = Redis.from_url(cluster.settings.redis_url, decode_responses=True)
        sim = SimulatedFleet(
            fleet, development_credentials(MDT_SECRET), mqtt_url=cluster.settings.mqtt_url,
            topics=Topics(cluster.settings.topic_root), seed=SEED, time_scale=240.0,
        )  # fmt: skip
        await sim.start()
        strikes = Strikes()
        try:
            accepted = await _storm(cluster, strikes, rng)
            result = await reckon(redis, accepted, sim.mdts, fleet_areas)
            statuses = await _statuses(redis, fleet_areas)
            wrong = _unsettled_reports(sim.mdts, statuses)
            answers = {
                login: await readiness(process.http) for login, process in cluster.replicas.items()
            }
        finally:
            await sim.stop()
            await redis.aclose()
    print(
        f"\nchaos seed {SEED}: {len(accepted)} calls accepted over {STORM_S:g}s, kills "
        f"{dict(strikes.counts())}: {result.summary()}; {len(sim.mdts)} MDTs, "
        f"{sim.tally.acknowledged} taskings acknowledged, {sim.tally.cleared} jobs cleared, "
        f"{sim.tally.withdrawn} withdrawn, {sim.tally.refused} reports refused, "
        f"{len(wrong)} units out of step with their last report"
    )
    print("strikes: " + "; ".join(f"{at}s {kind} ({what})" for at, kind, what in strikes.done))
    print(f"the replicas' log events: {_log_events(tmp_path)}")
    assert strikes.counts() == dict.fromkeys(KINDS, STRIKES_EACH)
    assert result.lost_calls == ()
    assert result.double_dispatches == 0
    assert result.assignments > 0
    assert wrong == []
    assert all(answers.values()), answers


def _log_events(logs: Path) -> dict[str, int]:
    """How often the replicas logged the events that tell a fault's story."""
    telling = {"status_refused", "handling_retried", "message_unacknowledged", "intake_taken",
               "intake_lost", "task_failed", "tasking_unacknowledged", "message_rejected",
               "mqtt_disconnected", "avl_worker_exited"}  # fmt: skip
    counts: Counter[str] = Counter()
    for path in logs.glob("cad-service*.log"):
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                event = json.loads(line).get("event", "")
                if event in telling:
                    reason = json.loads(line).get("reason", "")
                    counts[f"{event}: {reason}" if event == "status_refused" else event] += 1
    return dict(counts.most_common())


async def _statuses(redis: Redis, fleet_areas: set[str]) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for area in fleet_areas:
        statuses |= await redis.hgetall(AreaKeys(area).unit_status)
    return statuses
