"""`cad bench`: servers (embedded unless configured), the service in its own process, then every
scenario in a fixed order, each the median of several runs beside its same-run baseline.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cad.logs import log
from cad.settings import get_settings
from loadtests.bench import broker_rtt, redis_claims
from loadtests.bench.avl_bench import run_avl
from loadtests.bench.context import (
    FULL,
    GENERATORS,
    QUICK,
    Context,
    Plan,
)
from loadtests.bench.databases import empty_database
from loadtests.bench.e2e import run_burst, run_capacity
from loadtests.bench.flat_growth import run_flat_growth
from loadtests.bench.fleet import bench_fleet, register_bench_fleet
from loadtests.bench.http_bench import run_http
from loadtests.bench.machine import describe_machine
from loadtests.bench.recommendation import run_recommendation
from loadtests.bench.results import Scenario
from loadtests.bench.service_proc import running_service
from loadtests.bench.stats import Figures, median_of
from loadtests.bench.topologies import (
    SINGLE,
    beside_single,
    started_topologies,
    topology_env,
    topology_settings,
)
from service.servers import embedded_servers
from transport.broker_security import (
    ANY_PREFIX,
    GENERATOR_USER,
    development_credentials,
    url_with_login,
)
from transport.mqtt_logins import GeneratorLogins
from transport.redis_client import open_redis
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.bench")
CLAIM_RATIO_TARGET = 0.7


@dataclass(frozen=True)
class BenchOptions:
    """What the operator asked for."""

    quick: bool
    # Scenario numbers to run ("2", "4b", ...); empty: all of them.
    only: frozenset[str] = frozenset()
    # The Redis topologies to run on, the single node first (loadtests/bench/topologies.py).
    topologies: tuple[str, ...] = (SINGLE,)

    def wants(self, *numbers: str) -> bool:
        """Whether any of these scenarios is to run."""
        return not self.only or any(n in self.only for n in numbers)


@contextlib.contextmanager
def bench_servers(workdir: Path) -> Iterator[tuple[str, str, GeneratorLogins]]:
    """The configured servers (CAD_REDIS_URL and CAD_MQTT_URL, and the load generators' login
    family in CAD_LOADTEST_MQTT_URL), or embedded ones: Redis, the broker's URL for the service,
    and a login for each generator connection."""
    if os.environ.get("CAD_REDIS_URL") and os.environ.get("CAD_MQTT_URL"):
        settings = get_settings()
        generators = os.environ.get("CAD_LOADTEST_MQTT_URL", settings.mqtt_url)
        yield settings.redis_url, settings.mqtt_url, GeneratorLogins(generators, GENERATORS)
        return
    credentials = development_credentials(get_settings().mdt_credential_secret)
    with embedded_servers(workdir, credentials=credentials, acl_root=f"{ANY_PREFIX}cad") as (
        redis,
        broker,
    ):
        generators = url_with_login(broker.url, GENERATOR_USER, credentials.generator_password)
        yield redis.url, broker.url, GeneratorLogins(generators, GENERATORS)


async def _claims(
    clients: dict[str, AsyncRedis], plan: Plan
) -> dict[str, tuple[Scenario, Scenario]]:
    """Scenarios 1 and 2 on each topology's Redis (the single node's alone by default)."""
    settings = get_settings()
    bare: dict[str, list[Figures]] = {name: [] for name in clients}
    ours: dict[str, list[Figures]] = {name: [] for name in clients}
    # Taken in turns, so a slower spell of a shared machine (or Redis rewriting its AOF) falls on
    # both sides, and on every topology, alike rather than on whichever ran last.
    for i in range(plan.runs):
        for name, redis in clients.items():
            bare[name].append(await redis_claims.bare_run(redis, settings, plan.claims, 7 + i))
            ours[name].append(await redis_claims.dispatch_run(redis, settings, plan.claims, 7 + i))
    return {name: _claim_scenarios(bare[name], ours[name], plan) for name in clients}


def _claim_scenarios(
    bare: list[Figures], ours: list[Figures], plan: Plan
) -> tuple[Scenario, Scenario]:
    raw = Scenario("1", "raw Redis: bare GEOSEARCH + claim Lua", measured=median_of(bare))
    raw.target = "baseline"
    raw.notes.append(f"{plan.claims.concurrency} concurrent claimers, {plan.claims.units} units")
    claim = Scenario("2", "dispatch.lua.claim_plan vs (1)", median_of(ours), median_of(bare))
    claim.target = f"throughput >= {CLAIM_RATIO_TARGET}x the bare claim"
    claim.met = (claim.ratio or 0.0) >= CLAIM_RATIO_TARGET
    return raw, claim


def _rtt(generators: GeneratorLogins, plan: Plan) -> Scenario:
    runs = [
        broker_rtt.run(generators, pings=plan.rtt_pings, flood=plan.rtt_flood)
        for _ in range(plan.runs)
    ]
    scenario = Scenario("3", "raw broker: paho publish -> subscribe (QoS 1)")
    scenario.measured = median_of([f for f, _ in runs])
    floods = sorted(rate for _, rate in runs)
    scenario.extra["qos0_flood_msgs_per_s"] = round(floods[len(floods) // 2], 1)
    scenario.target = "baseline"
    scenario.notes.append(
        f"one message in flight; QoS 0 flood {scenario.extra['qos0_flood_msgs_per_s']}/s"
    )
    return scenario


async def _http_on(
    topology: dict[str, str],
    redis: AsyncRedis,
    plan: Plan,
    broker: tuple[str, GeneratorLogins],
    workdir: Path,
) -> Scenario:
    """Scenario 5 with a service of its own on a Sentinel set or a cluster."""
    mqtt_url, generators = broker
    redis_url = topology["redis_url"]
    fleet = bench_fleet(f"BT{uuid.uuid4().hex[:4]}-", plan.fleet, 4242)
    await register_bench_fleet(redis, fleet)
    env = topology_env(topology)
    async with running_service(redis_url, mqtt_url, workdir, extra_env=env) as (root, port):
        return await run_http(
            Context(redis, redis_url, generators, root, port, fleet, workdir, plan)
        )


async def _recommendation(redis_url: str, plan: Plan) -> Scenario:
    """Scenario 8 over a fleet of `plan.recommend_units` on an empty database."""
    url = await empty_database(redis_url)
    redis = open_redis(get_settings().model_copy(update={"redis_url": url}))
    try:
        fleet = bench_fleet(f"BR{uuid.uuid4().hex[:4]}-", plan.recommend_units, 4242)
        await register_bench_fleet(redis, fleet)
    finally:
        await redis.aclose()
    return await run_recommendation(
        url, fleet_size=len(fleet), seconds=plan.recommend_s, runs=plan.runs
    )


def _geo() -> Scenario | None:
    if importlib.util.find_spec("geo.bench") is None:
        return None
    from geo.bench import run_geo_bench

    scenario = Scenario("7", "geo: locate, circles, distances (geo.bench)")
    scenario.extra = dict(run_geo_bench(quick=True))
    scenario.target = "reported (geo owns its targets)"
    return scenario


def _lap(stage: str, started: float) -> None:
    log(logger, logging.INFO, "bench_stage", stage=stage, at_s=round(time.monotonic() - started, 1))


async def run_bench(options: BenchOptions) -> dict[str, Any]:
    """Run every scenario; the results as the JSON document."""
    plan = QUICK if options.quick else FULL
    workdir = Path(tempfile.mkdtemp(prefix="cad-bench-"))
    started = time.monotonic()
    scenarios: list[Scenario] = []
    with (
        bench_servers(workdir) as (redis_url, mqtt_url, generators),
        started_topologies(options.topologies[1:], workdir) as others,
    ):
        # The service's own kind of client: claims and recommendations are measured as it runs them.
        redis = open_redis(get_settings().model_copy(update={"redis_url": redis_url}))
        clients = {name: open_redis(topology_settings(found)) for name, found in others.items()}
        try:
            claims = (
                await _claims({SINGLE: redis, **clients}, plan) if options.wants("1", "2") else {}
            )
            if claims:
                scenarios += claims[SINGLE]
                _lap("claims", started)
            if options.wants("3"):
                scenarios.append(_rtt(generators, plan))
                _lap("broker", started)
            if options.wants("4a", "4b", "5", "6"):
                fleet = bench_fleet(f"BF{uuid.uuid4().hex[:4]}-", plan.fleet, 4242)
                await register_bench_fleet(redis, fleet)
                async with running_service(redis_url, mqtt_url, workdir) as (root, port):
                    _lap("service_up", started)
                    ctx = Context(redis, redis_url, generators, root, port, fleet, workdir, plan)
                    # The scenario that can swamp the service (AVL from the whole fleet) runs last.
                    for number, scenario in (
                        ("4b", run_burst), ("5", run_http), ("6", run_avl), ("4a", run_capacity),
                    ):  # fmt: skip
                        if options.wants(number):
                            scenarios.append(await scenario(ctx))
                            _lap(number, started)
            # With no service running, each on an empty database of its own: 9 starts from
            # nothing open, 8 from a fleet of its own size.
            if options.wants("9"):
                scenarios.append(
                    await run_flat_growth(redis_url, mqtt_url, generators, workdir, plan)
                )
                _lap("9", started)
            if options.wants("8"):
                scenarios.append(await _recommendation(redis_url, plan))
                _lap("recommendation", started)
            single = list(scenarios)
            for name, topology in others.items():
                found = list(claims.get(name, ()))
                if options.wants("5"):
                    broker = (mqtt_url, generators)
                    found.append(
                        await _http_on(topology, clients[name], plan, broker, workdir / name)
                    )
                scenarios += [beside_single(scenario, name, single) for scenario in found]
                _lap(name, started)
        finally:
            for client in (redis, *clients.values()):
                await client.aclose()
    geo = _geo() if options.wants("7") else None
    if geo is not None:
        scenarios.append(geo)
    elapsed = time.monotonic() - started
    log(logger, logging.INFO, "bench_finished", seconds=round(elapsed, 1), workdir=str(workdir))
    return {
        "quick": options.quick, "seconds": round(elapsed, 1), "machine": describe_machine(),
        "workdir": str(workdir), "scenarios": [s.as_dict() for s in scenarios],
    }  # fmt: skip
