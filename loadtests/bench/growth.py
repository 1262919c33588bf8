"""How a call's cost grows with the work held: the service's CPU per call with 1,000 units and
nothing open, then with 20,000 units and 5,000 open incidents (issue targets 4 and 5).

    python -m loadtests.bench.growth [--rounds 3] [--calls 500] [--call-rate 50] [--idle-s 10]
                                     [--warm-s 15] [--recommend-s 2] [--units 20000]
                                     [--open 5000] [--recommendation-only] [--json FILE]

It starts its servers as `cad bench` does (embedded redis-server and mosquitto on free loopback
ports), registers 1,000 bench units as `cad units load` does, and runs `cad serve` in its own
process. Each round has two phases, reading the service process's CPU time (psutil, user +
system, to the nanosecond from schedstat) before and after each, and redis-server's beside it:

- idle: nothing is sent; the background jobs' cost per second;
- calls: `--calls` graded call events at `--call-rate`/s (the bench's call generator, whose MDTs
  acknowledge, attend and clear each tasking), until every tasked incident awaits its result.
  The figure is the service's whole CPU over the phase (background jobs included) per call.

Then 19,000 more units are registered and 5,000 ungraded incidents opened through the service's
own intake (they wait for a call handler, as a busy control room's backlog does), and the rounds
run again. `recommend_for` is paced at 1,000/s (`loadtests/bench/recommendation.py`, scenario 8)
over the 1,000 units before the service starts, and over the 20,000 once it has stopped; beside
it, one recommendation's client CPU, timed over 2,000 in a row. `--recommendation-only` runs
just that, with no service.

The service runs with CAD_ALARM_UNTOUCHED_NEW_S at an hour: the backlog is opened in one go, and
its 5,000 untouched-new alarms would otherwise all come due in one scan in the middle of a round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvloop

from cad.incident_types import load_catalogue
from cad.keys import AreaKeys
from cad.settings import get_settings
from dispatch.areas import dispatch_area
from dispatch.candidates import recommend_for
from dispatch.scripts import register_scripts
from loadtests.bench.calls import bench_calls, london_points
from loadtests.bench.fleet import bench_fleet, register_bench_fleet
from loadtests.bench.procs import run_child
from loadtests.bench.recommendation import run_recommendation
from loadtests.bench.runner import bench_servers
from loadtests.bench.service_proc import running_service
from loadtests.capacity import Meter, Rig, open_backlog
from transport.redis_client import open_redis
from transport.redis_types import AsyncRedis

SMALL_UNITS, BIG_UNITS, BIG_OPEN = 1_000, 20_000, 5_000
_IN_A_ROW = 2_000
FLAT_TARGET = 1.25
_SETTLE_S = 20.0


@dataclass(frozen=True)
class Load:
    """The size of each round's phases."""

    calls: int
    call_rate: float
    idle_s: float
    warm_s: float


async def _awaiting(redis: AsyncRedis, areas: set[str]) -> int:
    return sum([await redis.zcard(AreaKeys(a).awaiting_result) for a in sorted(areas)])


async def _wait_awaiting(redis: AsyncRedis, areas: set[str], target: int) -> None:
    """Until `target` incidents await their result, or the count stops moving for a while."""
    last, still_since = -1, time.monotonic()
    while (count := await _awaiting(redis, areas)) < target:
        if count != last:
            last, still_since = count, time.monotonic()
        elif time.monotonic() - still_since > _SETTLE_S:
            return
        await asyncio.sleep(0.1)


async def _round(rig: Rig, load: Load, seed: int) -> dict[str, float]:
    """One idle phase and one calls phase: the service's CPU per second idle and per call."""
    idle = Meter()
    await asyncio.sleep(load.idle_s)
    quiet = idle.done(0)
    before = await _awaiting(rig.redis, rig.areas)
    meter = Meter()
    config = {
        "url": rig.generators.next().url, "root": rig.root, "prefix": f"gr{uuid.uuid4().hex[:6]}",
        "seed": seed, "calls": load.calls, "rate": load.call_rate, "stand_down": True,
    }  # fmt: skip
    result = await run_child("loadtests.bench.mqtt_load", config, timeout_s=300)
    await _wait_awaiting(rig.redis, rig.areas, before + int(result["tasked_calls"]))
    calls = meter.done(load.calls)
    return {
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "idle_ms_per_s": quiet.cpu_s["service"] / quiet.seconds * 1e3,
        "call_ms": calls.cpu_s["service"] / load.calls * 1e3,
        "call_ms_less_idle": (
            calls.cpu_s["service"] - quiet.cpu_s["service"] / quiet.seconds * calls.seconds
        ) / load.calls * 1e3,
        # Redis's share beside it: work moved into scripts is paid there, not saved.
        "redis_idle_ms_per_s": quiet.cpu_s["redis"] / quiet.seconds * 1e3,
        "redis_call_ms": calls.cpu_s["redis"] / load.calls * 1e3,
        "tasked": int(result["tasked_calls"]),
        "phase_s": calls.seconds,
    }  # fmt: skip


async def _recommendation(
    redis: AsyncRedis, redis_url: str, *, units: int, seconds: float, runs: int
) -> dict[str, Any]:
    """Scenario 8's paced figures, and the client CPU of one recommendation timed over
    `_IN_A_ROW` in a row: on shared cores the paced p99 measures the machine's load as much as
    the code, the CPU much less."""
    paced = await run_recommendation(redis_url, fleet_size=units, seconds=seconds, runs=runs)
    settings = get_settings()
    scripts = register_scripts(redis)
    plan = load_catalogue().plan_for("violence")
    points = [(lon, lat, dispatch_area(lon, lat)) for lon, lat in london_points(2_000, 77)]
    stale_before = int(time.time() * 1000) - int(settings.stale_fix_s * 1000)

    async def one(i: int) -> None:
        lon, lat, area = points[i % len(points)]
        await recommend_for(
            scripts, area=area, lon=lon, lat=lat, plan=plan, radii_m=settings.search_radii_m,
            stale_before_ms=stale_before,
        )  # fmt: skip

    for i in range(_IN_A_ROW // 4):  # warm: scripts loaded, capabilities parsed
        await one(i)
    started = time.process_time()
    for i in range(_IN_A_ROW):
        await one(i)
    cpu_us = (time.process_time() - started) / _IN_A_ROW * 1e6
    return {"paced": paced.as_dict(), "client_cpu_us": cpu_us, "units": units}


async def _rounds(rig: Rig, load: Load, rounds: int, label: str) -> list[dict[str, float]]:
    await asyncio.sleep(load.warm_s)
    found = []
    for n in range(rounds):
        found.append(await _round(rig, load, 5000 + n))
        print(json.dumps({"point": label, "round": n, **found[-1]}), flush=True)
    return found


async def measure(
    load: Load, rounds: int, recommend_s: float, *, big_units: int, big_open: int
) -> dict[str, Any]:
    """Both sizes on one service, then the recommendation over the large fleet."""
    workdir = Path(tempfile.mkdtemp(prefix="cad-growth-"))
    with bench_servers(workdir) as (redis_url, mqtt_url, generators):
        redis = open_redis(get_settings().model_copy(update={"redis_url": redis_url}))
        fleet = bench_fleet(f"GS{uuid.uuid4().hex[:4]}-", SMALL_UNITS, 4242)
        await register_bench_fleet(redis, fleet)
        # As the bench's scenario 8, before the service starts: its figure beside the large one.
        small_recommendation = await _recommendation(
            redis, redis_url, units=SMALL_UNITS, seconds=recommend_s, runs=rounds
        )
        extra = {"CAD_LOG_LEVEL": "WARNING", "CAD_ALARM_UNTOUCHED_NEW_S": "3600"}
        async with (
            running_service(redis_url, mqtt_url, workdir, extra_env=extra) as (root, _port),
            httpx.AsyncClient() as http,
        ):
            rig = Rig(redis, generators, root, http, fleet, {u.area for u in fleet})
            for seed in range(5000, 5000 + rounds):
                rig.areas |= {dispatch_area(c.lon, c.lat) for c in bench_calls("x", 1, seed)}
            rig.areas |= {dispatch_area(c.lon, c.lat) for c in bench_calls("x", load.calls, 5000)}
            small = await _rounds(rig, load, rounds, f"{SMALL_UNITS}:0")
            more = bench_fleet(f"GB{uuid.uuid4().hex[:4]}-", big_units - SMALL_UNITS, 2424)
            await register_bench_fleet(redis, more)
            rig.fleet += more
            rig.areas |= {u.area for u in more}
            opened = await open_backlog(rig, big_open)
            big = await _rounds(rig, load, rounds, f"{big_units}:{opened}")
        # With the service stopped, as the small fleet's.
        recommendation = await _recommendation(
            redis, redis_url, units=big_units, seconds=recommend_s, runs=rounds
        )
        await redis.aclose()
    return {
        "small": small, "big": big, "units": big_units, "opened": opened,
        "recommendations": [small_recommendation, recommendation],
    }  # fmt: skip


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f} to {max(values):.2f})"


def recommendation_lines(found: list[dict[str, Any]]) -> list[str]:
    """One markdown line for each fleet size's recommendation figures."""
    lines = []
    for each in found:
        measured, baseline = each["paced"]["measured"], each["paced"]["baseline"]
        lines.append(
            f"- recommend_for, {each['units']} units: {each['client_cpu_us']:.0f} µs client CPU "
            f"a call; at 1,000/s p50 {measured['p50_ms']} ms, p99 {measured['p99_ms']} ms "
            f"(bare GEOSEARCH p99 {baseline['p99_ms']} ms); load {os.getloadavg()[0]:.1f}"
        )
    return lines


async def recommendation_only(units: int, seconds: float, runs: int) -> list[dict[str, Any]]:
    """The recommendation's figures alone, with 1,000 units and then `units`, no service."""
    found = []
    with bench_servers(Path(tempfile.mkdtemp(prefix="cad-growth-"))) as (redis_url, _, _):
        redis = open_redis(get_settings().model_copy(update={"redis_url": redis_url}))
        held = 0
        for size in (SMALL_UNITS, units):
            await register_bench_fleet(redis, bench_fleet(f"GR{size}-", size - held, 4242 + size))
            held = size
            found.append(
                await _recommendation(redis, redis_url, units=size, seconds=seconds, runs=runs)
            )
        await redis.aclose()
    return found


def summary(found: dict[str, Any]) -> str:
    """The figures as markdown lines: per size, the median (range) over the rounds."""
    lines = []
    for key, label in (("small", f"{SMALL_UNITS} units, 0 open"),
                       ("big", f"{found['units']} units, {found['opened']} open")):  # fmt: skip
        rounds = found[key]
        loads = ", ".join(f"{r['load_avg_1m']:.1f}" for r in rounds)
        lines.append(
            f"- {label}: {_spread([r['call_ms'] for r in rounds])} ms a call, "
            f"{_spread([r['idle_ms_per_s'] for r in rounds])} ms/s idle, "
            f"{_spread([r['call_ms_less_idle'] for r in rounds])} ms a call less idle; "
            f"redis {_spread([r['redis_call_ms'] for r in rounds])} ms a call, "
            f"{_spread([r['redis_idle_ms_per_s'] for r in rounds])} ms/s idle; load {loads}"
        )
    ratio = statistics.median(r["call_ms"] for r in found["big"]) / statistics.median(
        r["call_ms"] for r in found["small"]
    )
    lines.append(f"- ratio (median over median): {ratio:.2f} (target <= {FLAT_TARGET})")
    lines += recommendation_lines(found["recommendations"])
    return "\n".join(lines)


async def main_async(options: argparse.Namespace) -> None:
    if options.recommendation_only:
        alone = await recommendation_only(options.units, options.recommend_s, options.rounds)
        print("\n".join(recommendation_lines(alone)))
        return
    load = Load(options.calls, options.call_rate, options.idle_s, options.warm_s)
    found = await measure(
        load, options.rounds, options.recommend_s, big_units=options.units, big_open=options.open
    )
    print(summary(found))
    if options.json:
        text = json.dumps({"load": load.__dict__, **found}, indent=1)
        await asyncio.to_thread(Path(options.json).write_text, text)


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--call-rate", type=float, default=50.0)
    parser.add_argument("--idle-s", type=float, default=10.0)
    parser.add_argument("--warm-s", type=float, default=15.0)
    parser.add_argument("--recommend-s", type=float, default=2.0)
    parser.add_argument("--units", type=int, default=BIG_UNITS)
    parser.add_argument("--open", type=int, default=BIG_OPEN)
    parser.add_argument("--recommendation-only", action="store_true")
    parser.add_argument("--json", default="")
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
