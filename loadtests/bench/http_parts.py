"""Where `POST /v1/calls` spends its CPU (docs/performance.md, "The HTTP target"):
`python -m loadtests.bench.http_parts [--seconds S] [--rounds R]`.

Scenario 5's generator (`http_load`, 8 connections back to back) drives, in turns, the framework
floor (`framework_floor`: auth, validation, the answer), the floor with one and with two round
trips to Redis a call (through the service's own client: the least the intake's I/O can cost),
and the service (`cad serve`, as the bench runs it). For each: calls a second, and the CPU a call
of the server's process and of Redis (schedstat, to the nanosecond). Scenario 5's ratio is the
floor's CPU a call over the service's when the server is what saturates; so the service's CPU a
call beyond the floor's is the intake's own work, to be set against the floor's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

from loadtests.bench.context import BENCH_AUTH_ENV, bench_token
from loadtests.bench.proc_cpu import cpu_seconds
from loadtests.bench.procs import Child, http_ready, run_child
from loadtests.bench.runner import bench_servers
from loadtests.bench.service_proc import service_process
from loadtests.capacity import cpu_by_process, cpu_delta
from service.servers import LOOPBACK, free_port

# As scenario 5's closed loop.
_CONNECTIONS = 8


@dataclass(frozen=True)
class Target:
    """A server the generator posts to, and its process."""

    name: str
    port: int
    pid: int


@dataclass(frozen=True)
class Sample:
    """One run against one target."""

    rate_per_s: float
    server_us: float
    redis_us: float


async def _drive(target: Target, seconds: float) -> Sample:
    config = {
        "host": LOOPBACK, "port": target.port, "path": "/v1/calls",
        "prefix": f"p{uuid.uuid4().hex[:8]}", "seed": 7, "max_requests": 50_000,
        "concurrency": _CONNECTIONS, "duration_s": seconds, "token": bench_token(),
        "rate_per_s": 0.0,
    }  # fmt: skip
    server = psutil.Process(target.pid)
    before = cpu_seconds(server), cpu_by_process()
    result = await run_child("loadtests.bench.http_load", config, timeout_s=60 + seconds)
    after = cpu_seconds(server), cpu_by_process()
    calls = len(result["latencies_ms"])
    if calls == 0 or result["errors"]:
        raise RuntimeError(f"{target.name}: {calls} calls answered, errors {result['errors']}")
    return Sample(
        calls / result["elapsed_s"],
        (after[0] - before[0]) / calls * 1e6,
        cpu_delta(before[1], after[1])["redis"] / calls * 1e6,
    )


async def _run(seconds: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="http-parts-") as tmp:
        workdir = Path(tmp)
        with bench_servers(workdir) as (redis_url, mqtt_url, _):
            floors: list[Child] = []
            try:
                targets = [await _floor(trips, redis_url, workdir, floors) for trips in (0, 1, 2)]
                async with service_process(redis_url, mqtt_url, workdir) as service:
                    targets.append(Target("service", service.port, service.pid))
                    await _measure(targets, seconds, rounds)
            finally:
                for floor in floors:
                    await floor.stop()


async def _floor(trips: int, redis_url: str, workdir: Path, started: list[Child]) -> Target:
    """The framework floor with `trips` Redis round trips a call, up (added to `started`)."""
    port = free_port()
    child = await Child.start(
        "loadtests.bench.framework_floor", argv=(str(port), str(trips)),
        env={**BENCH_AUTH_ENV, "CAD_REDIS_URL": redis_url}, log=workdir / f"floor-{trips}.log",
    )  # fmt: skip
    started.append(child)
    await http_ready(LOOPBACK, port, "/docs", 60)
    name = f"floor + {trips} round trip{'s' if trips > 1 else ''}" if trips else "floor"
    return Target(name, port, child.proc.pid)


async def _measure(targets: list[Target], seconds: float, rounds: int) -> None:
    for target in targets:  # warm-up: imports, caches, the first connections
        await _drive(target, 1.0)
    samples: dict[str, list[Sample]] = {t.name: [] for t in targets}
    for r in range(rounds):
        # Alternated, so that no target always runs first after a quiet spell.
        for target in targets if r % 2 == 0 else targets[::-1]:
            samples[target.name].append(await _drive(target, seconds))
    floor_us = statistics.median(s.server_us for s in samples["floor"])
    print(f"{rounds} rounds of {seconds:.0f} s, {_CONNECTIONS} connections; median (each round)")
    print(f"{'target':<24} {'calls/s':>8} {'server µs a call':>17} {'beyond floor':>13} "
          f"{'redis µs':>9}")  # fmt: skip
    for name, runs in samples.items():
        rate = statistics.median(s.rate_per_s for s in runs)
        server = statistics.median(s.server_us for s in runs)
        each = ", ".join(f"{s.server_us:.0f}" for s in runs)
        print(
            f"{name:<24} {rate:>8.0f} {server:>17.0f} {server - floor_us:>13.0f} "
            f"{statistics.median(s.redis_us for s in runs):>9.0f}   ({each})"
        )
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=4.0, help="a target's run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(_run(args.seconds, args.rounds))


if __name__ == "__main__":
    main()
