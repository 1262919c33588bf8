"""CPU time per call, per AVL fix and per archived incident in each process, for docs/scaling.md.

    python -m loadtests.capacity [--points 1000:0,3000:0,10000:0,3000:1000,3000:5000] [--runs 2]
                                 [--calls 200] [--call-rate 10] [--avl-s 15] [--idle-s 10]
                                 [--warm-s 15]
                                 [--json FILE]

Each point (`UNITS:OPEN`) starts its own servers as `cad bench` does (redis-server with AOF,
mosquitto with logins, and PostgreSQL, the history store), then `cad serve` in its own process
with the archiver every second, registers UNITS bench units over London and opens OPEN ungraded
incidents (they wait in the queue for a call handler, as a busy control room's backlog does),
then lets everything settle for `--warm-s`.
Each run then goes through four phases, reading every process's CPU time (psutil, user +
system) before and after each:

- idle: nothing is sent; the background work (scanners, leases, the archiver's rounds) per second;
- avl: every unit reports one fix per 5 s (the bench's AVL generator) for `--avl-s`;
- calls: `--calls` graded call events at `--call-rate`/s (the bench's call generator, whose MDTs
  acknowledge, attend and clear each tasking);
- close: each incident those calls opened is closed over HTTP with a result code, and the
  archiver moves it to PostgreSQL.

A phase's figure for a process is its CPU in the phase less its idle rate over the phase's
length, divided by the fixes, calls or incidents of the phase. The processes: the service, its
AVL worker processes, redis-server, mosquitto and PostgreSQL (all its processes); the load
generators are left out.
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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import uvloop

from cad.keys import AreaKeys
from cad.settings import get_settings
from cad.tokens import Role, issue_dev_token
from dispatch.areas import dispatch_area
from loadtests.bench.calls import bench_calls
from loadtests.bench.context import BENCH_AUTH_SECRET
from loadtests.bench.fleet import FleetUnit, bench_fleet, register_bench_fleet
from loadtests.bench.proc_cpu import cpu_seconds
from loadtests.bench.procs import run_child
from loadtests.bench.runner import bench_servers
from loadtests.bench.service_proc import running_service
from service.postgres_server import embedded_postgres
from service.servers import LOOPBACK
from transport import paho_link
from transport.mqtt_logins import GeneratorLogins
from transport.redis_client import open_redis
from transport.redis_types import AsyncRedis

ROLES = ("service", "avl_worker", "redis", "mosquitto", "postgres")
# One fix per unit every 5 s, as the Met's vehicles report.
AVL_PER_UNIT_S = 0.2
_SETTLE_S = 20.0
_ARCHIVE_WAIT_S = 4.0


@dataclass(frozen=True)
class Point:
    """One measurement point: fleet size and open incidents held while measuring."""

    units: int
    open: int

    @classmethod
    def parse(cls, text: str) -> Point:
        units, open_ = text.split(":")
        return cls(int(units), int(open_))


@dataclass(frozen=True)
class Load:
    """The size of each run's phases."""

    calls: int
    call_rate: float
    avl_s: float
    idle_s: float
    warm_s: float


def _role(proc: psutil.Process, service_pids: set[int]) -> str | None:
    name = proc.name()
    if name.startswith("redis-server"):
        return "redis"
    if name.startswith("mosquitto"):
        return "mosquitto"
    if name.startswith("postgres"):
        return "postgres"
    if proc.pid in service_pids:
        return "service"
    if any(p.pid in service_pids for p in proc.parents()):
        return "avl_worker"
    return None


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """Every measured descendant of this process: pid -> (role, CPU seconds so far)."""
    me = psutil.Process()
    procs = me.children(recursive=True)
    service_pids = set()
    for proc in procs:
        try:
            if "service.cli" in " ".join(proc.cmdline()):
                service_pids.add(proc.pid)
        except psutil.Error:
            continue
    found: dict[int, tuple[str, float]] = {}
    for proc in procs:
        try:
            role = _role(proc, service_pids)
            if role is not None:
                found[proc.pid] = (role, cpu_seconds(proc))
        except psutil.Error:
            continue  # it ended meanwhile: its CPU is lost to the sample, a rare short worker
    return found


def cpu_delta(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds each role spent between two samples (one born between them counts whole)."""
    spent = dict.fromkeys(ROLES, 0.0)
    for pid, (role, cpu) in after.items():
        spent[role] += cpu - before.get(pid, (role, 0.0))[1]
    return spent


@dataclass
class Phase:
    """One phase of one run: CPU per role, its length and how many things it handled."""

    cpu_s: dict[str, float]
    seconds: float
    count: int

    def per_item_us(self, idle: Phase) -> dict[str, float]:
        """µs of CPU per item, each role's idle rate over the phase's length taken off."""
        return {
            role: (self.cpu_s[role] - idle.cpu_s[role] / idle.seconds * self.seconds)
            / max(self.count, 1) * 1e6
            for role in ROLES
        }  # fmt: skip


class Meter:
    """Times a phase and samples every process's CPU at its start and end."""

    def __init__(self) -> None:
        self._before = cpu_by_process()
        self._started = time.monotonic()

    def done(self, count: int) -> Phase:
        """The phase's CPU per role, its length and its count."""
        return Phase(
            cpu_delta(self._before, cpu_by_process()), time.monotonic() - self._started, count
        )


@dataclass
class Rig:
    """The running servers and service of one point."""

    redis: AsyncRedis
    generators: GeneratorLogins
    root: str
    http: httpx.AsyncClient
    fleet: list[FleetUnit]
    areas: set[str] = field(default_factory=set)


async def _count(redis: AsyncRedis, areas: Iterable[str], key: str) -> int:
    total = 0
    for area in areas:
        keys = AreaKeys(area)
        total += await redis.zcard(getattr(keys, key))
    return total


async def _wait_count(redis: AsyncRedis, areas: set[str], key: str, target: int) -> int:
    """Until the areas' `key` sets hold `target` members, or the count stops moving for a while."""
    last, still_since = -1, time.monotonic()
    while True:
        count = await _count(redis, areas, key)
        if count >= target:
            return count
        if count != last:
            last, still_since = count, time.monotonic()
        elif time.monotonic() - still_since > _SETTLE_S:
            return count
        await asyncio.sleep(0.2)


async def open_backlog(rig: Rig, n: int) -> int:
    """Open `n` ungraded incidents (calls the queue holds for a call handler); how many are open."""
    if n == 0:
        return 0
    calls = bench_calls(f"open{uuid.uuid4().hex[:6]}", n, 777)
    rig.areas |= {dispatch_area(c.lon, c.lat) for c in calls}
    client = paho_link.connect(
        rig.generators.next().url, f"cap-open-{uuid.uuid4().hex[:6]}", threaded=True
    )
    try:
        infos = [
            client.publish(f"{rig.root}/calls/in", c.payload(graded=False), qos=1) for c in calls
        ]
        for info in infos:
            info.wait_for_publish(60)
    finally:
        paho_link.close(client, threaded=True)
    return await _wait_count(rig.redis, rig.areas, "open_incidents", n)


async def _idle(load: Load) -> Phase:
    meter = Meter()
    await asyncio.sleep(load.idle_s)
    return meter.done(0)


async def _avl(rig: Rig, load: Load) -> Phase:
    meter = Meter()
    config = {
        "url": rig.generators.next().url, "root": rig.root,
        "fleet": [(u.callsign, u.lon, u.lat) for u in rig.fleet],
        "rate": AVL_PER_UNIT_S, "duration_s": load.avl_s,
    }  # fmt: skip
    result = await run_child("loadtests.bench.avl_load", config, timeout_s=load.avl_s + 60)
    # Let the workers finish what the broker still holds for them.
    await asyncio.sleep(0.5)
    return meter.done(int(result["sent"]))


async def _calls(rig: Rig, load: Load, run: int) -> tuple[Phase, int]:
    before = await _count(rig.redis, rig.areas, "awaiting_result")
    meter = Meter()
    config = {
        "url": rig.generators.next().url, "root": rig.root, "prefix": f"cap{uuid.uuid4().hex[:6]}",
        "seed": 4000 + run, "calls": load.calls, "rate": load.call_rate, "stand_down": True,
    }  # fmt: skip
    result = await run_child("loadtests.bench.mqtt_load", config, timeout_s=120)
    # Done when every tasked incident's unit has cleared and it waits for its result code.
    await _wait_count(rig.redis, rig.areas, "awaiting_result", before + int(result["tasked_calls"]))
    return meter.done(load.calls), int(result["tasked_calls"])


async def _close(rig: Rig) -> Phase:
    refs: list[str] = []
    for area in rig.areas:
        refs += await rig.redis.zrange(AreaKeys(area).awaiting_result, 0, -1)
    meter = Meter()
    closed = 0
    for ref in refs:
        answer = await rig.http.post(f"/v1/incidents/{ref}/close", json={"code": "resolved"})
        closed += answer.status_code == 200
    # The archiver runs every second: give it a few rounds to move them to PostgreSQL.
    await asyncio.sleep(_ARCHIVE_WAIT_S)
    return meter.done(closed)


async def measure_point(point: Point, load: Load, runs: int) -> dict[str, Any]:
    """Start everything for one point and run its phases `runs` times."""
    workdir = Path(tempfile.mkdtemp(prefix="cad-capacity-"))
    with bench_servers(workdir) as (redis_url, mqtt_url, generators), embedded_postgres() as pg:
        redis = open_redis(get_settings().model_copy(update={"redis_url": redis_url}))
        fleet = bench_fleet(f"CP{uuid.uuid4().hex[:4]}-", point.units, 4242)
        await register_bench_fleet(redis, fleet)
        extra = {
            "CAD_DATABASE_URL": pg.url,
            "CAD_ARCHIVE_INTERVAL_S": "1",
            "CAD_LOG_LEVEL": "WARNING",
        }
        token = issue_dev_token(BENCH_AUTH_SECRET, subject="capacity", roles=(Role.DISPATCHER,))
        async with (
            running_service(redis_url, mqtt_url, workdir, extra_env=extra) as (root, port),
            httpx.AsyncClient(
                base_url=f"http://{LOOPBACK}:{port}", headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ) as http,
        ):  # fmt: skip
            rig = Rig(redis, generators, root, http, fleet, {u.area for u in fleet})
            rig.areas |= {dispatch_area(c.lon, c.lat) for c in bench_calls("x", load.calls, 4000)}
            opened = await open_backlog(rig, point.open)
            # A fresh service, broker and PostgreSQL are busier for a while (connection pools,
            # checkpoints, the first scans): not counted as their idle work.
            await asyncio.sleep(load.warm_s)
            results = []
            for run in range(runs):
                idle = await _idle(load)
                avl = await _avl(rig, load)
                calls, tasked = await _calls(rig, load, run)
                close = await _close(rig)
                results.append({
                    "load_avg_1m": round(os.getloadavg()[0], 2),
                    "idle_ms_per_s": {r: idle.cpu_s[r] / idle.seconds * 1e3 for r in ROLES},
                    "per_fix_us": avl.per_item_us(idle), "fixes": avl.count,
                    "fixes_per_s": avl.count / avl.seconds,
                    "per_call_us": calls.per_item_us(idle), "calls": calls.count, "tasked": tasked,
                    "per_closed_us": close.per_item_us(idle), "closed": close.count,
                })  # fmt: skip
                line = {"point": f"{point.units}:{point.open}", "run": run, **results[-1]}
                print(json.dumps(line), flush=True)
        await redis.aclose()
    return {"units": point.units, "open": point.open, "opened": opened, "runs": results}


def _median_spread(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"


def table(points: list[dict[str, Any]]) -> str:
    """The markdown table: per point and process, median (min–max) over the runs."""
    rows = [
        "| units | open | process | idle ms/s | µs per fix | µs per call | µs per closed | load |",
        "|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for p in points:
        loads = ", ".join(f"{r['load_avg_1m']:.1f}" for r in p["runs"])
        for role in ROLES:
            cells = [
                _median_spread([r[k][role] for r in p["runs"]])
                for k in ("idle_ms_per_s", "per_fix_us", "per_call_us", "per_closed_us")
            ]
            rows.append(
                f"| {p['units']} | {p['opened']} | {role} | " + " | ".join(cells) + f" | {loads} |"
            )
    return "\n".join(rows)


async def main_async(options: argparse.Namespace) -> None:
    load = Load(options.calls, options.call_rate, options.avl_s, options.idle_s, options.warm_s)
    points = []
    for text in options.points.split(","):
        points.append(await measure_point(Point.parse(text), load, options.runs))
    print(table(points))
    if options.json:
        text = json.dumps({"load": load.__dict__, "points": points}, indent=1)
        await asyncio.to_thread(Path(options.json).write_text, text)


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", default="1000:0,3000:0,10000:0,3000:1000,3000:5000")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--call-rate", type=float, default=10.0)
    parser.add_argument("--avl-s", type=float, default=15.0)
    parser.add_argument("--idle-s", type=float, default=10.0)
    parser.add_argument("--warm-s", type=float, default=15.0)
    parser.add_argument("--json", default="")
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
