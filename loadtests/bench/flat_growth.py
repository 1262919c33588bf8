"""Scenario 9, flat growth: the service's CPU time per call with a large fleet and a deep backlog
of open incidents, over that with a small fleet and nothing open.

On an empty database of the bench's Redis (so "nothing open" is known): the small fleet is
registered, `cad serve` started, and a paced window of calls measured `runs` times; then the rest
of the fleet is registered and the open incidents seeded through the service's own intake (a
burst of ungraded call events, which wait in the queue as a busy control room's backlog does),
and the same window measured again on the same service. A window's CPU is the service process's
(its event loop and every background job) from the first call published until the MDTs have
stood every tasked unit down; the AVL workers' is read beside it. After each window, its
incidents are closed over HTTP (outside the window), so each side keeps its own backlog.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from paho.mqtt.client import MQTTMessageInfo

from cad.keys import AreaKeys, GlobalKeys
from cad.settings import get_settings
from cad.tokens import Role, issue_dev_token
from loadtests.bench.calls import bench_calls
from loadtests.bench.context import BENCH_AUTH_SECRET, Context, Plan
from loadtests.bench.databases import empty_database
from loadtests.bench.e2e import service_run
from loadtests.bench.fleet import bench_fleet, register_bench_fleet
from loadtests.bench.ledger import Ledger
from loadtests.bench.proc_cpu import service_cpu
from loadtests.bench.reconcile import reconcile
from loadtests.bench.results import Scenario
from loadtests.bench.service_proc import service_process
from loadtests.bench.stats import Figures, median_of
from service.servers import LOOPBACK
from transport import paho_link
from transport.mqtt_logins import GeneratorLogins
from transport.redis_client import open_redis
from transport.redis_types import AsyncRedis

GROWTH_TARGET = 1.25
WARM_CALLS = 20
# The intake's burst of ungraded calls is waited for until the open count stops moving this long.
_SEED_STALL_S = 10.0
# After the burst: the service's jobs (scans, leases) settle into their rounds before measuring.
_AFTER_SEED_S = 2.0
# Closes in flight at once after a window.
_CLOSING = 8


@dataclass(frozen=True)
class Window:
    """One paced window of calls: their figures and the CPU each process spent per call."""

    figures: Figures
    service_ms: float
    workers_ms: float
    seconds: float


async def _window(
    ctx: Context, pid: int, calls: int, rate: float, ledger: Ledger, *, warm_up: bool = False
) -> Window:
    service_before, workers_before = service_cpu(pid)
    started = time.monotonic()
    figs, _ = await service_run(ctx, calls, rate, ledger=ledger, warm_up=warm_up)
    service_after, workers_after = service_cpu(pid)
    return Window(
        figs,
        (service_after - service_before) * 1000 / calls,
        (workers_after - workers_before) * 1000 / calls,
        time.monotonic() - started,
    )


async def _idle_ms_per_s(pid: int, seconds: float) -> float:
    """The service's CPU while no call comes in: its background jobs' rate, ms a second."""
    before, _ = service_cpu(pid)
    await asyncio.sleep(seconds)
    after, _ = service_cpu(pid)
    return (after - before) * 1000 / seconds


async def _open_count(redis: AsyncRedis) -> int:
    """Open incidents over every area of this database."""
    total = 0
    for area in await redis.smembers(GlobalKeys().areas):
        total += await redis.zcard(AreaKeys(area).open_incidents)
    return total


def _all_published(infos: list[MQTTMessageInfo]) -> None:
    for info in infos:
        info.wait_for_publish(60)


async def _seed_open(ctx: Context, ledger: Ledger, n: int) -> int:
    """Open `n` incidents through the service's intake: ungraded call events, all at once; how
    many more are open once the intake has worked through them."""
    calls = bench_calls(f"open{uuid.uuid4().hex[:6]}", n, 777)
    before = await _open_count(ctx.redis)
    since_ms = int(time.time() * 1000) - 1
    client = paho_link.connect(
        ctx.generators.next().url, f"bench-seed-{uuid.uuid4().hex[:6]}", threaded=True
    )
    try:
        topic = f"{ctx.root}/calls/in"
        infos = [client.publish(topic, c.payload(graded=False), qos=1) for c in calls]
        await asyncio.to_thread(_all_published, infos)
    finally:
        paho_link.close(client, threaded=True)
    count, last, moved_at = before, -1, time.monotonic()
    while count < before + n and time.monotonic() - moved_at < _SEED_STALL_S:
        await asyncio.sleep(0.2)
        count = await _open_count(ctx.redis)
        if count != last:
            last, moved_at = count, time.monotonic()
    ledger.batches.append((calls, since_ms))
    ledger.checks.append((await reconcile(ctx.redis, calls, since_ms)).as_dict())
    return count - before


async def _close_cleared(ctx: Context, http: httpx.AsyncClient) -> None:
    """Close every incident whose unit has cleared (a window's), as dispatchers would."""
    refs: list[str] = []
    for area in await ctx.redis.smembers(GlobalKeys().areas):
        refs += await ctx.redis.zrange(AreaKeys(area).awaiting_result, 0, -1)
    for i in range(0, len(refs), _CLOSING):
        answers = await asyncio.gather(
            *(http.post(f"/v1/incidents/{ref}/close", json={"code": "resolved"})
              for ref in refs[i : i + _CLOSING])
        )  # fmt: skip
        for answer in answers:
            answer.raise_for_status()


async def run_flat_growth(
    redis_url: str, mqtt_url: str, generators: GeneratorLogins, workdir: Path, plan: Plan
) -> Scenario:
    """Scenario 9 on an empty database of the bench's Redis, with a service of its own."""
    # httpx logs every request at INFO: a line per closed incident would bury the bench's own.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    url = await empty_database(redis_url)
    redis = open_redis(get_settings().model_copy(update={"redis_url": url}))
    try:
        return await _measure(redis, url, mqtt_url, generators, workdir, plan)
    finally:
        await redis.aclose()


async def _measure(
    redis: AsyncRedis, url: str, mqtt_url: str, generators: GeneratorLogins, workdir: Path,
    plan: Plan,
) -> Scenario:  # fmt: skip
    growth = plan.growth
    fleet = bench_fleet(f"FG{uuid.uuid4().hex[:4]}-", growth.large_units, 4343)
    small_fleet = fleet[: growth.small_units]
    await register_bench_fleet(redis, small_fleet)
    calls = int(growth.rate * growth.seconds)
    ledger = Ledger()
    idle: list[float] = []
    token = issue_dev_token(BENCH_AUTH_SECRET, subject="bench", roles=(Role.DISPATCHER,))
    async with (
        service_process(url, mqtt_url, workdir) as service,
        httpx.AsyncClient(
            base_url=f"http://{LOOPBACK}:{service.port}",
            headers={"Authorization": f"Bearer {token}"}, timeout=30,
        ) as http,
    ):  # fmt: skip
        ctx = Context(
            redis, url, generators, service.root, service.port, small_fleet, workdir, plan
        )

        async def windows() -> list[Window]:
            # As long as a window's calls: the jobs' rounds (every few seconds) fall in it alike.
            idle.append(await _idle_ms_per_s(service.pid, growth.seconds))
            done = []
            for _ in range(plan.runs):
                done.append(await _window(ctx, service.pid, calls, growth.rate, ledger))
                await _close_cleared(ctx, http)
            return done

        await _window(ctx, service.pid, WARM_CALLS, growth.rate, ledger, warm_up=True)
        await _close_cleared(ctx, http)
        small = await windows()
        started = time.monotonic()
        await register_bench_fleet(redis, fleet[growth.small_units :])
        registered_s = time.monotonic() - started
        opened = await _seed_open(ctx, ledger, growth.open_incidents)
        seeded_s = time.monotonic() - started - registered_s
        await asyncio.sleep(_AFTER_SEED_S)
        ctx = replace(ctx, fleet=fleet)
        large = await windows()
    scenario = Scenario(
        "9",
        f"flat growth: service CPU per call, {growth.large_units} units + {opened} open "
        f"vs {growth.small_units} units + 0 open",
        measured=median_of([w.figures for w in large]),
        baseline=median_of([w.figures for w in small]),
    )
    small_ms = statistics.median(w.service_ms for w in small)
    large_ms = statistics.median(w.service_ms for w in large)
    scenario.other_ratio = large_ms / small_ms if small_ms > 0 else None
    scenario.target = f"CPU per call <= {GROWTH_TARGET}x the small service's"
    scenario.met = scenario.other_ratio is not None and scenario.other_ratio <= GROWTH_TARGET
    scenario.notes += [
        f"{calls} calls at {growth.rate:.0f}/s a window, {plan.runs} windows each side "
        f"(windows {_spread([w.seconds for w in small])} s small, "
        f"{_spread([w.seconds for w in large])} s grown); rates and latencies: call -> tasking",
        f"service CPU per call: {_spread([w.service_ms for w in small])} ms small, "
        f"{_spread([w.service_ms for w in large])} ms grown",
        f"service CPU with no call coming in (background jobs): {idle[0]:.0f} ms/s small, "
        f"{idle[1]:.0f} ms/s grown",
        f"AVL workers' CPU per call (no AVL sent): {_spread([w.workers_ms for w in small])} ms "
        f"small, {_spread([w.workers_ms for w in large])} ms grown",
        f"grown in {registered_s:.1f} s ({growth.large_units - growth.small_units} units "
        f"registered) + {seeded_s:.1f} s ({opened} incidents opened through the intake)",
    ]
    scenario.extra["cpu_ms_per_call"] = {
        "small": [round(w.service_ms, 3) for w in small],
        "grown": [round(w.service_ms, 3) for w in large],
        "small_avl_workers": [round(w.workers_ms, 3) for w in small],
        "grown_avl_workers": [round(w.workers_ms, 3) for w in large],
    }
    scenario.extra["idle_cpu_ms_per_s"] = {"small": idle[0], "grown": idle[1]}
    scenario.extra["open_incidents"] = opened
    scenario.extra["units"] = {"small": growth.small_units, "grown": growth.large_units}
    check = await ledger.settle(redis)
    scenario.reconciliation = check
    if check["lost"] or check["double_dispatches"] or opened < growth.open_incidents:
        scenario.met = False
    return scenario


def _spread(values: list[float]) -> str:
    """The median, with every run's figure."""
    runs = ", ".join(f"{v:.2f}" for v in values)
    return f"{statistics.median(values):.2f} ({runs})"
