"""The demo's closing figures, read back from Redis so they count what really happened."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from cad.keys import AreaKeys, GlobalKeys
from cad.stats import percentile
from transport.deadletter import DEADLETTER_STREAM


@dataclass(frozen=True)
class DemoCounts:
    """What the demo did, end to end."""

    calls: int
    incidents: int
    taskings: int
    p50_ms: float
    p99_ms: float
    units: int
    units_committed: int
    pending: int
    closed: int
    with_result: int
    dead_letters: int


async def collect_counts(
    redis: Redis, calls: int, latencies_ms: list[float], cleared: int
) -> DemoCounts:
    """Count incidents, units and the queue in Redis; latencies as the MDTs saw them."""
    glob = GlobalKeys()
    areas = sorted(await redis.smembers(glob.areas))
    statuses: list[str] = []
    pending = 0
    for area in areas:
        keys = AreaKeys(area)
        statuses += list((await redis.hgetall(keys.unit_status)).values())
        pending += await redis.zcard(keys.pending)
    incidents = with_result = 0
    async for ref, area in redis.hscan_iter(glob.incident_area):
        status, code = await redis.hmget(AreaKeys(area).incident(ref), "status", "close_code")
        incidents += status is not None
        with_result += status == "closed" and bool(code)
    return DemoCounts(
        calls=calls,
        incidents=incidents,
        taskings=len(latencies_ms),
        p50_ms=percentile(latencies_ms, 50),
        p99_ms=percentile(latencies_ms, 99),
        units=len(statuses),
        units_committed=sum(s != "available" for s in statuses),
        pending=pending,
        closed=cleared,
        with_result=with_result,
        dead_letters=await redis.xlen(DEADLETTER_STREAM),
    )


def print_summary(counts: DemoCounts) -> None:
    """Print the closing table."""
    rows = [
        ("call events published", f"{counts.calls}"),
        ("incidents created", f"{counts.incidents}"),
        ("taskings received by MDTs", f"{counts.taskings}"),
        ("call-to-tasking latency p50", f"{counts.p50_ms:.1f} ms"),
        ("call-to-tasking latency p99", f"{counts.p99_ms:.1f} ms"),
        ("units busy (committed) / fleet", f"{counts.units_committed} / {counts.units}"),
        ("incidents waiting in the queue", f"{counts.pending}"),
        ("jobs cleared by units", f"{counts.closed}"),
        ("incidents closed with a result code", f"{counts.with_result}"),
        ("dead letters", f"{counts.dead_letters}"),
    ]
    width = max(len(name) for name, _ in rows)
    print("\nsummary")
    print("-" * (width + 16))
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")
    print("-" * (width + 16))
