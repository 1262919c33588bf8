"""`cad bench --topologies single,sentinel,cluster`: the Redis scenarios again on a Sentinel set
and a Redis Cluster the bench starts itself (service/redis_sentinel_set.py,
service/redis_cluster.py), each beside the single node's figures of the same run. All of them
run for the whole bench, and the claims (1, 2) take their runs in turns on every topology, so a
slower spell of a shared machine falls on each alike; the HTTP calls (5) need a service on each,
one after another."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from cad.settings import Settings, get_settings
from loadtests.bench.results import Scenario
from service.redis_cluster import redis_cluster
from service.redis_sentinel_set import sentinel_set

TOPOLOGIES = ("single", "sentinel", "cluster")
# What the other topologies are compared with.
SINGLE = "single"


def parse_topologies(text: str) -> tuple[str, ...]:
    """`single,sentinel,cluster` as names in that order; the single node always comes first."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(TOPOLOGIES))
    if unknown:
        raise ValueError(f"--topologies: unknown {unknown}; choose among {list(TOPOLOGIES)}")
    return (SINGLE, *(name for name in TOPOLOGIES if name in names and name != SINGLE))


@contextlib.contextmanager
def started_topologies(
    names: tuple[str, ...], workdir: Path
) -> Iterator[dict[str, dict[str, str]]]:
    """Start each topology named, each in its own folder of `workdir`, for the whole bench (the
    claims take turns on them): each one's settings by name; all stopped at the end."""
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(_started(name, workdir / name)) for name in names}


@contextlib.contextmanager
def _started(name: str, workdir: Path) -> Iterator[dict[str, str]]:
    """Start a Sentinel set or a cluster in `workdir`: the settings (as field: value) that reach
    it, stopped at the end."""
    workdir.mkdir(parents=True)
    if name == "sentinel":
        with sentinel_set(workdir) as servers:
            settings = servers.settings
            yield {
                "redis_url": settings.redis_url, "redis_sentinels": settings.redis_sentinels,
                "redis_sentinel_master": settings.redis_sentinel_master,
            }  # fmt: skip
        return
    cluster = redis_cluster(workdir)
    try:
        cluster.start()
        yield {"redis_url": cluster.url, "redis_cluster_nodes": cluster.addresses}
    finally:
        cluster.stop()


def topology_settings(redis: dict[str, str]) -> Settings:
    """The bench's settings with a topology's Redis."""
    return get_settings(**redis)


def topology_env(redis: dict[str, str]) -> dict[str, str]:
    """A topology's Redis settings as the service's `CAD_*` variables."""
    return {f"CAD_{name.upper()}": value for name, value in redis.items()}


def beside_single(scenario: Scenario, topology: str, single: list[Scenario]) -> Scenario:
    """`scenario`, run on `topology`, keyed and titled so, its baseline the single node's figures
    of the same scenario in this run (its ratio: the topology's throughput over the single's)."""
    same = next((s for s in single if s.key == scenario.key), None)
    scenario.key = f"{scenario.key}@{topology}"
    scenario.title = f"{scenario.title} [on {topology}, vs single node]"
    scenario.baseline = None if same is None else same.measured
    scenario.target = "reported: the topology's cost beside the single node"
    scenario.met = None
    return scenario
