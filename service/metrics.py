"""Prometheus metrics of one service process: what it did (counters, latencies) and, read from
Redis at scrape time, the operational state every replica shares (units, queue, incidents)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cad.keys import AreaKeys, GlobalKeys
from cad.task_health import TaskBoard
from transport.deadletter import DEADLETTER_STREAM
from transport.redis_types import AsyncRedis

# Call intake is milliseconds when healthy and seconds when Redis is struggling: cover both.
_INTAKE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class AreaState:
    """What Redis holds for one dispatch area, as counts."""

    area: str
    units_by_status: dict[str, int]
    pending: int
    open_incidents: int


def count_statuses(statuses: list[str]) -> dict[str, int]:
    """How many units hold each status."""
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


class ServiceMetrics:
    """The metrics of one process, in a registry of its own (several apps may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "cad_calls", "Calls taken in, by channel and what became of them",
            ["channel", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.intake_seconds = Histogram(
            "cad_call_intake_seconds",
            "From a call reaching the service to its incident recorded and dispatched",
            ["channel"], buckets=_INTAKE_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.unreadable_records = Counter(
            "cad_records_unreadable", "Stored records left out of a list, or refused, because "
            "they do not parse, by kind (incident, unit): once a request",
            ["kind"], registry=self.registry,
        )  # fmt: skip
        self._state = _RedisState()
        self.registry.register(self._state)

    def watch_tasks(self, board: TaskBoard) -> None:
        """Show the supervised tasks of `board`: their restarts and whether each is healthy."""
        self.registry.register(TaskCollector(board))

    def watch_leadership(self, leading: Callable[[], dict[str, bool]]) -> None:
        """Show what this replica leads (`leading()`: the intake's session, each led job)."""
        self.registry.register(LeadershipCollector(leading))

    def set_state(self, areas: list[AreaState], dead_letter_records: int) -> None:
        """Replace the Redis-derived gauges with a fresh reading."""
        self._state.reading = (areas, dead_letter_records)

    def state_unavailable(self) -> None:
        """Redis could not be read: leave the Redis-derived gauges out rather than show old ones."""
        self._state.reading = None

    def observe_call(self, channel: str, outcome: str, seconds: float) -> None:
        """Count one call taken in and how long its intake took."""
        self.calls.labels(channel=channel, outcome=outcome).inc()
        self.intake_seconds.labels(channel=channel).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


class TaskCollector(Collector):
    """The supervised tasks' restarts and health, read from their board at scrape time (the
    board is the one record of them; nothing is counted twice)."""

    def __init__(self, board: TaskBoard, clock: Callable[[], float] = time.monotonic) -> None:
        self._board = board
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        """One sample of each metric per task."""
        restarts = CounterMetricFamily(
            "cad_task_restarts", "Times a supervised task failed and was run again", labels=["task"]
        )
        healthy = GaugeMetricFamily(
            "cad_task_healthy", "1 while a supervised task is healthy, 0 once it keeps failing",
            labels=["task"],
        )  # fmt: skip
        for task in self._board.health(self._clock()):
            restarts.add_metric([task.name], task.restarts)
            healthy.add_metric([task.name], 1.0 if task.healthy else 0.0)
        yield restarts
        yield healthy


class LeadershipCollector(Collector):
    """`cad_leading{role}`: 1 where this replica holds the intake's session or leads a job,
    read at scrape time; summed over the replicas, each role should be led exactly once."""

    def __init__(self, leading: Callable[[], dict[str, bool]]) -> None:
        self._leading = leading

    def collect(self) -> Iterator[Metric]:
        """One sample per role."""
        family = GaugeMetricFamily(
            "cad_leading", "1 while this replica leads the role (the intake, a led job), else 0",
            labels=["role"],
        )  # fmt: skip
        for role, led in self._leading().items():
            family.add_metric([role], 1.0 if led else 0.0)
        yield family


class _RedisState(Collector):
    """The gauges read from Redis at scrape time, and `cad_redis_up`: without a reading (Redis
    down) the gauges are left out, so that no dashboard shows an old count as the current one."""

    def __init__(self) -> None:
        self.reading: tuple[list[AreaState], int] | None = None

    def collect(self) -> Iterator[Metric]:
        """The families of the last reading (prometheus_client calls this at each scrape)."""
        yield GaugeMetricFamily(
            "cad_redis_up",
            "1 if this scrape read the gauges from Redis, 0 if it could not",
            value=0 if self.reading is None else 1,
        )
        if self.reading is None:
            return
        areas, dead_letter_records = self.reading
        units = GaugeMetricFamily(
            "cad_units", "Units by dispatch area and status (from Redis)", labels=["area", "status"]
        )
        pending = GaugeMetricFamily(
            "cad_pending_incidents", "Incidents waiting for a unit, by dispatch area (from Redis)",
            labels=["area"],
        )  # fmt: skip
        open_incidents = GaugeMetricFamily(
            "cad_open_incidents", "Open incidents by dispatch area (from Redis)", labels=["area"]
        )
        for state in areas:
            for status, count in state.units_by_status.items():
                units.add_metric([state.area, status], count)
            pending.add_metric([state.area], state.pending)
            open_incidents.add_metric([state.area], state.open_incidents)
        yield from (units, pending, open_incidents)
        yield GaugeMetricFamily(
            "cad_dead_letter_records",
            "Dead-letter records held in Redis (all replicas)",
            value=dead_letter_records,
        )


async def read_state(redis: AsyncRedis) -> tuple[list[AreaState], int]:
    """Every area's unit statuses, queue and open incidents, in two round trips."""
    areas = sorted(await redis.smembers(GlobalKeys().areas))
    async with redis.pipeline(transaction=False) as pipe:
        for area in areas:
            keys = AreaKeys(area)
            pipe.hvals(keys.unit_status)
            pipe.zcard(keys.pending)
            pipe.zcard(keys.open_incidents)
        pipe.xlen(DEADLETTER_STREAM)
        replies = await pipe.execute()
    states = [
        AreaState(area, count_statuses(replies[3 * i]), int(replies[3 * i + 1]),
                  int(replies[3 * i + 2]))
        for i, area in enumerate(areas)
    ]  # fmt: skip
    return states, int(replies[-1])
