"""A storm harness for fault tests: N service replicas as real processes, a fleet of simulated
MDTs answering their taskings, a gateway publishing QoS 1 calls at a steady rate, a fault the
caller injects at a moment, then quiet, then the reckoning.

Any topology: the caller starts the servers (a redis-server, a Sentinel set, a Cluster; a
mosquitto, a broker cluster) and hands over the `Settings` that reach them. The replicas get
those settings as `CAD_*` variables, so whatever the settings say (`CAD_REDIS_SENTINELS`,
`CAD_REDIS_WAIT_REPLICAS`, ...) the replicas do too. The broker must know the fleet's MDT logins
(`storm_broker` starts a mosquitto that does; another broker takes `StormPlan.callsigns()` and
`MDT_SECRET`).

    result = await run_storm(settings, StormPlan(replicas=3), fault, tmp_path)

`fault(run)` is called `fault_at_s` into the storm; recovery is counted from the moment it calls
`run.strike()`, just before it strikes (or from its call, if it never does: then it must strike
at once, not look around first). It may go on afterwards (restart what it killed, measure
a takeover); the harness waits for it before it waits for quiet. The result counts accepted,
recorded, dead-lettered and lost calls and double dispatches (loadtests/reconcile.py, an audit
replay), and times the recovery from the fault to the first call accepted after it being
recorded, and to the whole backlog recorded; `result.report()` is one paragraph for `pytest -s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

from cad.keys import AreaKeys
from cad.settings import Settings, get_settings
from cad.topics import Topics
from dispatch.scripts import register_scripts
from dispatch.units import Unit, register_fleet
from loadtests.reconcile import Reconciliation, reconcile, recorded_calls
from service.demo.calls import call_stream
from service.demo.fleet import build_fleet
from service.demo.mdt_sim import SimulatedFleet
from service.demo.sim_unit import SimulatedMdt
from service.servers import EMBEDDED_REPLICAS, EmbeddedServer, free_port, mosquitto, redis_server
from tests.helpers import eventually, readiness, ready
from tests.reliability.conftest import ServiceProcess
from tests.reliability.gateway import Gateway
from transport.broker_security import ANY_PREFIX, development_credentials, url_with_login
from transport.redis_client import open_redis

MDT_SECRET = "storm-mdt-secret"
# Each run under its own root; the broker's ACL covers any one-level prefix of `cad`.
ROOT = "storm/cad"
# How often the harness looks for newly recorded calls: the resolution of its recovery times.
POLL_S = 0.2
# Replicas start in parallel on a shared, loaded machine: the gazetteer alone takes seconds.
READY_WITHIN_S = 90.0


@dataclass(frozen=True)
class StormPlan:
    """The storm: how many replicas, how long, how fast, when the fault strikes."""

    seed: int = 1729
    replicas: int = 2
    seconds: float = 16.0
    calls_per_s: float = 5.0
    fault_at_s: float = 6.0
    units_per_area: int = 2
    # Simulated time runs this much faster: jobs end within seconds, so the queue the storm
    # builds drains soon after it.
    time_scale: float = 600.0
    avl_workers: int = 1
    # The intake's and the led jobs' leases: short, so that a takeover fits in a test.
    lease_s: float = 3.0
    # Extra `CAD_*` variables for every replica, over those made from the settings.
    env: Mapping[str, str] = field(default_factory=dict)

    def fleet(self) -> list[Unit]:
        """The fleet of the storm: `units_per_area` in each area."""
        return build_fleet(self.units_per_area, self.seed)

    def callsigns(self) -> tuple[str, ...]:
        """The MDTs' logins the broker must know."""
        return tuple(unit.callsign for unit in self.fleet())


@dataclass
class StormRun:
    """What a fault may strike: the replicas (by login), the settings, the storm's clock."""

    replicas: dict[str, ServiceProcess]
    settings: Settings
    redis: Redis
    started: float
    # When the fault struck (monotonic), once it has.
    struck: float | None = None

    def elapsed(self) -> float:
        """Seconds into the storm."""
        return time.monotonic() - self.started

    def strike(self) -> None:
        """Say the fault strikes now: recovery is counted from here."""
        self.struck = time.monotonic()


@dataclass(frozen=True)
class StormResult:
    """The reckoning: the counts, the recovery times, the fleet's work."""

    plan: StormPlan
    accepted: tuple[str, ...]
    reconciliation: Reconciliation
    # Seconds into the storm the fault struck (None: it never did).
    fault_s: float | None
    # From the fault to the first call accepted after it being recorded.
    first_recorded_s: float | None
    # From the fault to every call accepted before that first one recorded: the backlog cleared.
    caught_up_s: float | None
    # Median time from the broker's PUBACK to the call record, before the fault (the poll's
    # resolution, POLL_S, included).
    usual_latency_s: float | None
    acknowledged: int
    cleared: int
    # The replicas still running at the end, each ready or not.
    ready: dict[str, bool]
    # Where a run's time goes: starting the replicas and the fleet, and after the storm,
    # waiting for every call recorded and all quiet.
    setup_s: float
    settle_s: float

    @property
    def lost(self) -> int:
        """Accepted calls neither recorded nor dead-lettered."""
        return len(self.reconciliation.lost_calls)

    def report(self) -> str:
        """A paragraph for `pytest -s`."""
        r = self.reconciliation

        def seconds(value: float | None) -> str:
            return "never" if value is None else f"{value:.2f} s"

        return (
            f"storm seed {self.plan.seed}, {self.plan.replicas} replicas, "
            f"{self.plan.calls_per_s:g} calls/s for {self.plan.seconds:g} s, fault at "
            f"{seconds(self.fault_s)}: {len(self.accepted)} calls accepted, {r.calls_recorded} "
            f"recorded, {r.dead_letters} dead letters, {self.lost} lost, {r.assignments} "
            f"assignments, {r.double_dispatches} double dispatches; usual latency "
            f"{seconds(self.usual_latency_s)}, first call recorded {seconds(self.first_recorded_s)}"
            f" after the fault, backlog recorded {seconds(self.caught_up_s)} after it; MDTs "
            f"acknowledged {self.acknowledged} taskings, cleared {self.cleared} jobs; ready at "
            f"the end: {self.ready}; set-up {self.setup_s:.1f} s, settling {self.settle_s:.1f} s"
        )


def storm_broker(workdir: Path, plan: StormPlan) -> EmbeddedServer:
    """A mosquitto (logins, persistence) that knows the storm's MDTs; not yet started."""
    workdir.mkdir(exist_ok=True)
    return mosquitto(
        workdir, credentials=development_credentials(MDT_SECRET), acl_root=f"{ANY_PREFIX}cad",
        units=plan.callsigns(),
    )  # fmt: skip


@contextlib.contextmanager
def single_node(
    workdir: Path, plan: StormPlan
) -> Iterator[tuple[Settings, EmbeddedServer, EmbeddedServer]]:
    """The plain topology: one redis-server (AOF, fsync always) and one mosquitto that knows
    the storm's MDTs; their settings and the two servers, stopped at the end."""
    (workdir / "redis").mkdir()
    redis = redis_server(workdir / "redis")
    broker = storm_broker(workdir / "broker", plan)
    redis.start()
    try:
        broker.start()
        try:
            yield get_settings(redis_url=redis.url, mqtt_url=broker.url), redis, broker
        finally:
            broker.stop()
    finally:
        redis.stop()


def storm_settings(settings: Settings) -> Settings:
    """The topology's settings under the storm's topic root and MDT secret."""
    return settings.model_copy(update={"topic_root": ROOT, "mdt_credential_secret": MDT_SECRET})


def replica_env(settings: Settings, login: str, port: int, plan: StormPlan) -> dict[str, str]:
    """The environment of one replica: every setting that differs from its default, as the
    `CAD_*` variable that sets it, then the replica's own login and port and the plan's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
    for name, value in settings.model_dump(exclude_defaults=True).items():
        if value is not None:
            env[f"CAD_{name.upper()}"] = _env_value(value)
    env.update(
        CAD_MQTT_URL=url_with_login(settings.mqtt_url, login), CAD_HTTP_PORT=str(port),
        CAD_AVL_WORKERS=str(plan.avl_workers), CAD_INTAKE_LEASE_S=str(plan.lease_s),
        CAD_JOB_LEASE_S=str(plan.lease_s), CAD_ACK_TIMEOUT_S="10", CAD_LOG_LEVEL="INFO",
    )  # fmt: skip
    env.update(plan.env)
    return env


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return json.dumps(list(value))  # pydantic-settings reads a sequence as JSON
    return str(value)


@contextlib.asynccontextmanager
async def running_replicas(
    settings: Settings, plan: StormPlan, logs: Path
) -> AsyncIterator[dict[str, ServiceProcess]]:
    """`plan.replicas` `cad serve` processes, each with its own login (the broker's embedded
    replica logins), all ready; killed at the end whatever happened."""
    if not 1 <= plan.replicas <= len(EMBEDDED_REPLICAS):
        raise ValueError(f"replicas: 1 to {len(EMBEDDED_REPLICAS)}, not {plan.replicas}")
    replicas: dict[str, ServiceProcess] = {}
    try:
        for login in EMBEDDED_REPLICAS[: plan.replicas]:
            port = free_port()
            process = ServiceProcess(
                replica_env(settings, login, port, plan), logs / f"{login}.log",
                http=f"http://127.0.0.1:{port}",
            )  # fmt: skip
            replicas[login] = process
            process.start()
        for process in replicas.values():
            await eventually(functools.partial(ready, process.http), within_s=READY_WITHIN_S)
        yield replicas
    finally:
        for process in replicas.values():
            process.kill()


async def leading(process: ServiceProcess) -> dict[str, bool]:
    """What a replica says it leads (its `/readyz`): the intake and each led job; nothing when
    it does not answer ready."""
    answer = await readiness(process.http)
    led = {} if answer is None else answer.get("leading", {})
    assert isinstance(led, dict)
    return {str(role): bool(held) for role, held in led.items()}


async def leaders(replicas: Mapping[str, ServiceProcess]) -> dict[str, list[str]]:
    """Each role (the intake, each led job): the logins of the replicas that say they lead it."""
    found: dict[str, list[str]] = {}
    for login, process in replicas.items():
        for role, held in (await leading(process)).items():
            found.setdefault(role, [])
            if held:
                found[role].append(login)
    return found


@dataclass
class _Recording:
    """When each accepted call was accepted and first seen recorded (monotonic seconds)."""

    accepted_at: dict[str, float] = field(default_factory=dict)
    recorded_at: dict[str, float] = field(default_factory=dict)

    async def watch(self, redis: Redis) -> None:
        """Look for newly recorded calls every POLL_S until cancelled; an outage only delays."""
        while True:
            waiting = [c for c in self.accepted_at if c not in self.recorded_at]
            if waiting:
                with contextlib.suppress(RedisError, OSError):
                    found = await recorded_calls(redis, waiting)
                    now = time.monotonic()
                    self.recorded_at |= dict.fromkeys(found, now)
            await asyncio.sleep(POLL_S)

    def recovery(self, fault_at: float | None) -> tuple[float | None, float | None]:
        """From the fault to the first call accepted after it recorded, and to every call
        accepted before that one recorded."""
        if fault_at is None:
            return None, None
        after = [self.recorded_at[c] for c, t in self.accepted_at.items() if t >= fault_at
                 and c in self.recorded_at]  # fmt: skip
        if not after:
            return None, None
        first = min(after)
        # A call never seen recorded was dead-lettered (or lost: the reconciliation counts it).
        backlog = [
            self.recorded_at[c]
            for c, t in self.accepted_at.items()
            if t <= first and c in self.recorded_at
        ]
        return first - fault_at, max(backlog) - fault_at

    def usual_latency(self, before: float | None) -> float | None:
        """Median PUBACK-to-record time of the calls accepted before `before`."""
        latencies = [
            self.recorded_at[c] - t
            for c, t in self.accepted_at.items()
            if c in self.recorded_at and (before is None or t < before)
        ]
        return statistics.median(latencies) if latencies else None


async def publish_calls(
    settings: Settings,
    plan: StormPlan,
    until: float,
    on_accepted: Callable[[str], None],
    *,
    prefix: str = "storm",
) -> None:
    """Publish the seeded call stream QoS 1 at `plan.calls_per_s` until the monotonic `until`,
    call ids `{prefix}-{seed}-{n}`; each is passed to `on_accepted` once the broker took it (its
    PUBACK)."""
    gateway = Gateway(settings)
    topic = Topics(settings.topic_root).calls_in
    started = time.monotonic()
    try:
        for n, event in enumerate(call_stream(plan.seed)):
            if time.monotonic() >= until:
                return
            event = event.model_copy(update={"call_id": f"{prefix}-{plan.seed}-{n:05d}"})
            await gateway.publish(topic, event.model_dump_json().encode())
            on_accepted(event.call_id)
            await asyncio.sleep(max(0.0, started + (n + 1) / plan.calls_per_s - time.monotonic()))
    finally:
        await gateway.close()


async def quiet(redis: Redis, mdts: list[SimulatedMdt], areas: set[str]) -> bool:
    """No job under way, and no state change in any area for two seconds."""
    before = [await redis.xlen(AreaKeys(area).audit) for area in sorted(areas)]
    await asyncio.sleep(2.0)
    after = [await redis.xlen(AreaKeys(area).audit) for area in sorted(areas)]
    return before == after and not any(m.working for m in mdts)


async def reckon(redis: Redis, accepted: list[str], mdts: list[SimulatedMdt],
                 areas: set[str]) -> Reconciliation:  # fmt: skip
    """Wait until every accepted call is recorded (or dead-lettered) and all is quiet, then
    reconcile; an outage still under way only delays it."""

    async def all_recorded() -> bool:
        with contextlib.suppress(RedisError, OSError):
            return not (await reconcile(redis, accepted)).lost_calls
        return False

    async def settled() -> bool:
        with contextlib.suppress(RedisError, OSError):
            return await quiet(redis, mdts, areas)
        return False

    await eventually(all_recorded, within_s=90)
    await eventually(settled, within_s=120)
    return await reconcile(redis, accepted)


async def run_storm(
    settings: Settings,
    plan: StormPlan,
    fault: Callable[[StormRun], Awaitable[object]],
    logs: Path,
) -> StormResult:
    """Start the replicas and the fleet on the topology `settings` reach, storm, strike, wait
    for quiet, reconcile. `logs`: a directory for the replicas' logs."""
    begun = time.monotonic()
    settings = storm_settings(settings)
    fleet = plan.fleet()
    areas = {unit.area for unit in fleet}
    redis = open_redis(settings)
    try:
        await register_fleet(
            redis, register_scripts(redis), fleet, now_ms=int(time.time() * 1000), actor="storm"
        )
        async with running_replicas(settings, plan, logs) as replicas:
            sim = SimulatedFleet(
                fleet, development_credentials(MDT_SECRET), mqtt_url=settings.mqtt_url,
                topics=Topics(settings.topic_root), seed=plan.seed, time_scale=plan.time_scale,
            )  # fmt: skip
            await sim.start()
            try:
                result = await _storm(settings, plan, fault, replicas, redis, sim, areas)
                return replace(result, setup_s=result.setup_s - begun)
            finally:
                await sim.stop()
    finally:
        await redis.aclose()


async def _storm(
    settings: Settings,
    plan: StormPlan,
    fault: Callable[[StormRun], Awaitable[object]],
    replicas: dict[str, ServiceProcess],
    redis: Redis,
    sim: SimulatedFleet,
    areas: set[str],
) -> StormResult:
    recording = _Recording()
    run = StormRun(replicas, settings, redis, started=time.monotonic())
    called: float | None = None

    async def strike() -> None:
        nonlocal called
        await asyncio.sleep(plan.fault_at_s)
        called = time.monotonic()
        await fault(run)

    def accepted(call_id: str) -> None:
        recording.accepted_at[call_id] = time.monotonic()

    watching = asyncio.create_task(recording.watch(redis))
    striking = asyncio.create_task(strike())
    try:
        await publish_calls(settings, plan, run.started + plan.seconds, accepted)
        await striking
        ids = list(recording.accepted_at)
        stormed = time.monotonic()
        result = await reckon(redis, ids, sim.mdts, areas)
        settled = time.monotonic()
    finally:
        striking.cancel()
        watching.cancel()
        await asyncio.gather(striking, watching, return_exceptions=True)
    fault_at = run.struck or called
    first, caught_up = recording.recovery(fault_at)
    running = {login: p for login, p in replicas.items() if p.proc and p.proc.poll() is None}
    return StormResult(
        plan=plan,
        accepted=tuple(ids),
        reconciliation=result,
        fault_s=None if fault_at is None else fault_at - run.started,
        first_recorded_s=first,
        caught_up_s=caught_up,
        usual_latency_s=recording.usual_latency(fault_at),
        acknowledged=sim.tally.acknowledged,
        cleared=sim.tally.cleared,
        ready={login: await readiness(p.http) is not None for login, p in running.items()},
        # Made relative to when `run_storm` began, by it.
        setup_s=run.started,
        settle_s=settled - stormed,
    )
