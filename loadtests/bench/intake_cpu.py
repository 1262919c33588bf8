"""Client CPU a call of the shared call-intake core, `CallIntake.accept`, against a redis-server of
its own (docs/performance.md, "The intake's CPU a call"):
`python -m loadtests.bench.intake_cpu [--calls N] [--rounds R] [--only a,b]`.

Each scenario runs its calls through `CallIntake.accept` as the service does (uvloop, its Redis
client `open_redis`, JSON log lines written to /dev/null at INFO), each round on a Redis database
of its own with a fresh fleet; a tasking is built and serialised but its MQTT publish is not made
(the edges are measured elsewhere: `loadtests/bench/mqtt_cpu.py`). The calls are graded I or S
with one-unit plans (the bench's types). Figures: client CPU a call (`time.process_time`, user
and system) and wall time a call, over the calls alone (not the seeding); median of the rounds,
with every round.

Scenarios: `empty` (every call opens an incident with none open within the duplicate search's
1.5 km: a grid of points 1.7 km apart), `near` (50 sites, each seeded with 16 open incidents
within 400 m; every call lands among them, so each finds 16 to 26 open incidents near it and
scores them), each over MQTT's way (`mqtt`: linking automatically, at the bench's score of 1.0,
so that every call opens an incident) and the API's (`http`: the API locates the call and opens
an incident whatever it finds); `*-c64`: the same calls, 64 accepted at once (the MQTT handlers'
bound).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import uvloop

from cad.events import CallEvent, CallSource, Grade, Location, utcnow
from cad.incident_types import load_catalogue
from cad.logs import configure_logging
from cad.settings import Settings, get_settings
from cad.topics import Topics
from callhandling.incidents import Outcome
from callhandling.intake import CallIntake
from dispatch.areas import dispatch_area
from dispatch.dispatcher import Dispatcher
from dispatch.scripts import register_scripts
from loadtests.bench.calls import LONDON_BOX
from loadtests.bench.fleet import bench_fleet, register_bench_fleet
from service.servers import EmbeddedServer, redis_server
from transport.redis_client import open_redis
from transport.redis_types import AsyncRedis

# The bench's graded types with a one-unit plan (loadtests/bench/calls.py).
_TYPES = (
    ("missing_person_high_risk", Grade.IMMEDIATE),
    ("concern_for_welfare", Grade.SIGNIFICANT),
    ("asb", Grade.SIGNIFICANT),
    ("alarm_activation", Grade.SIGNIFICANT),
)
_FLEET = 3_000
_CONCURRENCY = 64
# Metres in a degree of latitude, and of longitude at London's latitude.
_M_LAT = 111_320.0
_M_LON = _M_LAT * math.cos(math.radians(51.5))
_NEAR_SITES, _NEAR_SEEDED, _NEAR_SPREAD_M = 50, 16, 400.0
SCENARIOS = (
    "empty-mqtt",
    "near-mqtt",
    "empty-http",
    "near-http",
    "empty-mqtt-c64",
    "near-http-c64",
)


class _NoPublish:
    """Takes a tasking as the service's MQTT link would, without publishing it."""

    def __init__(self) -> None:
        self.sent = 0

    async def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        self.sent += 1


@dataclass(frozen=True)
class RoundResult:
    """One scenario's round: client CPU and wall time a call (µs), the outcomes, the taskings."""

    cpu_us: float
    wall_us: float
    created: int
    taskings: int


def _event(call_id: str, lon: float, lat: float, i: int, *, graded: bool = True) -> CallEvent:
    kind, grade = _TYPES[i % len(_TYPES)]
    return CallEvent(
        call_id=call_id, received_at=utcnow() - timedelta(seconds=1),
        source=CallSource.EMERGENCY_999, location=Location(lon=lon, lat=lat),
        incident_type=kind if graded else None, grade=grade if graded else None,
    )  # fmt: skip


def _grid(n: int) -> list[tuple[float, float]]:
    """`n` points over London, each more than the duplicate search's 1.5 km from any other."""
    x0, x1, y0, y1 = LONDON_BOX
    step_lon, step_lat = 1_700 / _M_LON, 1_700 / _M_LAT
    points = [
        (x0 + step_lon * (i + 0.5), y0 + step_lat * (j + 0.5))
        for i in range(int((x1 - x0) / step_lon))
        for j in range(int((y1 - y0) / step_lat))
    ]
    if n > len(points):
        raise ValueError(f"the grid holds {len(points)} calls with nothing near, not {n}")
    random.Random(7).shuffle(points)
    return points[:n]


def _sites() -> list[tuple[float, float]]:
    """The near scenario's sites, far enough apart that no call sees another site's incidents."""
    x0, x1, y0, y1 = LONDON_BOX
    return [
        (x0 + (x1 - x0) * (i + 0.5) / 10, y0 + (y1 - y0) * (j + 0.5) / 5)
        for i in range(10)
        for j in range(5)
    ]


def _around(site: tuple[float, float], rng: random.Random) -> tuple[float, float]:
    angle, r = rng.uniform(0, 2 * math.pi), _NEAR_SPREAD_M * math.sqrt(rng.random())
    return site[0] + r * math.cos(angle) / _M_LON, site[1] + r * math.sin(angle) / _M_LAT


def _calls(scenario: str, n: int, tag: str) -> tuple[list[CallEvent], list[CallEvent]]:
    """The seeding calls (ungraded: queued, no unit taken) and the measured calls."""
    if scenario.startswith("empty"):
        return [], [_event(f"{tag}-{i}", *p, i) for i, p in enumerate(_grid(n))]
    rng = random.Random(11)
    sites = _sites()
    seeds = [
        _event(f"{tag}-seed-{s}-{k}", *_around(site, rng), k, graded=False)
        for s, site in enumerate(sites)
        for k in range(_NEAR_SEEDED)
    ]
    calls = [_event(f"{tag}-{i}", *_around(sites[i % len(sites)], rng), i) for i in range(n)]
    return seeds, calls


async def _round(server: EmbeddedServer, db: int, scenario: str, n: int) -> RoundResult:
    url = server.url.rsplit("/", 1)[0] + f"/{db}"
    settings = get_settings(redis_url=url, auto_link_score=1.0)
    redis = open_redis(settings)
    try:
        await register_bench_fleet(redis, bench_fleet(f"U{db}-", _FLEET, seed=db))
        publisher = _NoPublish()
        intake = _intake(redis, settings, publisher)
        seeds, calls = _calls(scenario, n, f"r{db}")
        for seed in seeds:
            await intake.accept(seed, actor="seed", auto_link=False)
        accept = _acceptor(intake, http=scenario.split("-")[1] == "http")
        concurrent = scenario.endswith("-c64")
        with _clock() as took:
            outcomes = await (_at_once(accept, calls) if concurrent else _in_turn(accept, calls))
        cpu, wall = took()
        created = sum(o is Outcome.CREATED for o in outcomes)
        return RoundResult(cpu / n * 1e6, wall / n * 1e6, created, publisher.sent)
    finally:
        await redis.aclose()


def _intake(redis: AsyncRedis, settings: Settings, publisher: _NoPublish) -> CallIntake:
    dispatcher = Dispatcher(
        redis, register_scripts(redis), publisher, Topics("bench"),
        radii_m=settings.search_radii_m, catalogue=load_catalogue(settings.incident_types_file),
        stale_fix_s=settings.stale_fix_s,
    )  # fmt: skip
    return CallIntake(redis, dispatcher, settings)


Accept = Callable[[CallEvent], Awaitable[Outcome]]


def _acceptor(intake: CallIntake, *, http: bool) -> Accept:
    """One call accepted as the MQTT consumer does (linking automatically), or as the API does
    (located first, as the route locates it, then opened whatever it finds)."""

    async def accept(event: CallEvent) -> Outcome:
        if http:
            area = dispatch_area(event.location.lon, event.location.lat)
            result = await intake.accept(event, actor="api", auto_link=False, area=area)
        else:
            result = await intake.accept(event, actor="mqtt")
        return result.outcome

    return accept


async def _in_turn(accept: Accept, calls: list[CallEvent]) -> list[Outcome]:
    return [await accept(call) for call in calls]


async def _at_once(accept: Accept, calls: list[CallEvent]) -> list[Outcome]:
    bound = asyncio.Semaphore(_CONCURRENCY)

    async def one(call: CallEvent) -> Outcome:
        async with bound:
            return await accept(call)

    return list(await asyncio.gather(*(one(call) for call in calls)))


@contextmanager
def _clock() -> Iterator[Callable[[], tuple[float, float]]]:
    """The process's CPU and the wall time spent inside the block, read once it is left."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    spent: list[float] = []
    yield lambda: (spent[0], spent[1])
    spent += [time.process_time() - cpu0, time.perf_counter() - wall0]


async def _run(scenarios: list[str], n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="intake-cpu-") as workdir:
        server = redis_server(Path(workdir))
        server.start()
        try:
            db = 1
            # A first pass, not counted: imports, caches and the scripts' first load.
            for scenario in scenarios:
                await _round(server, db, scenario, 40)
                db += 1
            results: dict[str, list[RoundResult]] = {s: [] for s in scenarios}
            for r in range(rounds):
                # Alternate the order each round, so that no scenario always runs first.
                for scenario in scenarios if r % 2 == 0 else scenarios[::-1]:
                    results[scenario].append(await _round(server, db, scenario, n))
                    db += 1
            _report(results, n)
        finally:
            server.stop()


def _report(results: dict[str, list[RoundResult]], n: int) -> None:
    print(f"{n} calls a round; µs a call, median of the rounds (each round)")
    print(f"{'scenario':<16} {'client CPU':>12} {'wall':>10}  created/taskings  rounds (CPU)")
    for scenario, rounds in results.items():
        cpu = statistics.median(r.cpu_us for r in rounds)
        wall = statistics.median(r.wall_us for r in rounds)
        counts = ",".join(sorted({f"{r.created}/{r.taskings}" for r in rounds}))
        each = ", ".join(f"{r.cpu_us:.0f}" for r in rounds)
        print(f"{scenario:<16} {cpu:>12.0f} {wall:>10.0f}  {counts:<16}  ({each})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=400, help="calls a scenario's round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default=",".join(SCENARIOS), help="scenarios, comma separated")
    args = parser.parse_args()
    scenarios = args.only.split(",")
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; known: {', '.join(SCENARIOS)}")
    # The service's log lines are formatted and written: their cost is part of a call's.
    configure_logging("INFO", Path("/dev/null"))
    logging.getLogger("cad.intake").setLevel(logging.INFO)
    uvloop.run(_run(scenarios, args.calls, args.rounds))


if __name__ == "__main__":
    main()
