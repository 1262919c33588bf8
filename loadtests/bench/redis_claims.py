"""Scenarios 1 and 2: the bare Lua claim against Redis, and `claim_plan` as a ratio to it.

Both claim from the same fleet layout at the same points with the same concurrency, through the
same asyncio client, so the ratio is the cost of what the dispatch claim does beyond the bare one
(response plan, status checks, incident update, audit entry).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources

import psutil

from cad.events import Grade
from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from dispatch.claims import plan_nearest
from dispatch.lua.claim_plan import claim_plan
from dispatch.scripts import register_scripts
from dispatch.units import Unit, register_fleet
from loadtests.bench.stats import Figures, figures
from transport.redis_types import AsyncRedis

# A box over inner London: units and claims spread over ~15 x 12 km, as in one busy BCU.
_BOX = (-0.22, -0.02, 51.45, 51.56)


@dataclass(frozen=True)
class ClaimLoad:
    """The size of one claims run."""

    units: int
    claims: int
    concurrency: int


def bare_claim_source() -> str:
    """The text of `loadtests/bench/lua/bare_claim.lua`."""
    source = resources.files("loadtests.bench") / "lua" / "bare_claim.lua"
    return source.read_text(encoding="utf-8")


def _points(n: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(rng.uniform(_BOX[0], _BOX[1]), rng.uniform(_BOX[2], _BOX[3])) for _ in range(n)]


async def _drive(
    claim: Callable[[int], Awaitable[object]], load: ClaimLoad
) -> tuple[list[float], float, float]:
    """Run `load.claims` claims over `load.concurrency` workers: latencies, elapsed s, CPU %."""
    latencies: list[float] = []
    counter = iter(range(load.claims))

    async def worker() -> None:
        for i in counter:
            started = time.perf_counter()
            await claim(i)
            latencies.append((time.perf_counter() - started) * 1000)

    process = psutil.Process()
    process.cpu_percent(None)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(load.concurrency)))
    elapsed = time.perf_counter() - started
    return latencies, elapsed, process.cpu_percent(None)


async def bare_run(redis: AsyncRedis, settings: Settings, load: ClaimLoad, seed: int) -> Figures:
    """Scenario 1: the bare GEOSEARCH-and-claim script, one fresh fleet."""
    tag = f"bench:{{BR{uuid.uuid4().hex[:6]}}}"
    available, status = f"{tag}:available", f"{tag}:status"
    script = redis.register_script(bare_claim_source())
    units = _points(load.units, seed)
    for i in range(0, len(units), 5000):
        chunk = units[i : i + 5000]
        members = [v for n, (lon, lat) in enumerate(chunk, i) for v in (lon, lat, f"U{n}")]
        await redis.geoadd(available, members)
    targets = _points(load.claims, seed + 1)
    radii = ",".join(str(r) for r in settings.search_radii_m)

    async def claim(i: int) -> object:
        lon, lat = targets[i]
        return await script(keys=[available, status], args=[lon, lat, radii, f"I{i}"])

    try:
        latencies, elapsed, cpu = await _drive(claim, load)
    finally:
        await redis.delete(available, status)
    return figures(latencies, elapsed, cpu_pct=cpu)


async def dispatch_run(
    redis: AsyncRedis, settings: Settings, load: ClaimLoad, seed: int
) -> Figures:
    """Scenario 2: `claim_plan` on a fleet registered with `register_unit`, one fresh area."""
    area = f"BN{uuid.uuid4().hex[:6]}"
    keys = AreaKeys(area)
    scripts = register_scripts(redis)
    now_ms = int(time.time() * 1000)
    fleet = [
        Unit(callsign=f"B{n}", area=area, base_lon=lon, base_lat=lat)
        for n, (lon, lat) in enumerate(_points(load.units, seed))
    ]
    await register_fleet(redis, scripts, fleet, now_ms=now_ms, actor="bench")
    targets = _points(load.claims, seed + 1)
    async with redis.pipeline(transaction=False) as pipe:
        for i in range(load.claims):
            pipe.hset(keys.incident(f"R{i}"), mapping={"ref": f"R{i}", "status": "new"})
        await pipe.execute()

    async def claim(i: int) -> object:
        lon, lat = targets[i]
        return await claim_plan(scripts, plan_nearest(
            area=area, ref=f"R{i}", lon=lon, lat=lat, grade=Grade.IMMEDIATE,
            received_ms=now_ms, radii_m=settings.search_radii_m, now_ms=now_ms, actor="bench",
        ))  # fmt: skip

    try:
        latencies, elapsed, cpu = await _drive(claim, load)
    finally:
        await _drop_area(redis, keys, [u.callsign for u in fleet])
    return figures(latencies, elapsed, cpu_pct=cpu)


async def _drop_area(redis: AsyncRedis, keys: AreaKeys, callsigns: list[str]) -> None:
    """Delete every key of the bench's throwaway area (and only those) and its directory entries."""
    glob = GlobalKeys()
    await redis.hdel(glob.unit_area, *callsigns)
    await redis.srem(glob.areas, keys.area)
    batch: list[str] = []
    async for key in redis.scan_iter(match=f"{keys.tag}:*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            await redis.unlink(*batch)
            batch.clear()
    if batch:
        await redis.unlink(*batch)
