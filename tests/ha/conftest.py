"""The Redis topologies of the HA tests on loopback ports, started by the tests and stopped at the
end: a primary, one replica (or two) and three sentinels, started per test (the fault tests kill
the primary); a Redis Cluster of three primaries with a replica each, per test (the session's is
tests/conftest.py's `cluster_proc`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cad.settings import Settings, get_settings
from service.redis_cluster import EmbeddedCluster, redis_cluster
from service.redis_sentinel_set import SentinelSet as SentinelSet  # the fixture's type, for tests
from service.redis_sentinel_set import sentinel_set as started_sentinel_set


@pytest.fixture
def sentinel_set(tmp_path: Path) -> Iterator[SentinelSet]:
    """A primary (AOF, every write fsynced, the service's ACL user), a replica of it, and three
    sentinels watching it with quorum 2; settings reach it only through the sentinels."""
    with started_sentinel_set(tmp_path, replicas=1, acl_extra=("+flushdb", "+keys")) as servers:
        yield servers


@pytest.fixture
def sentinel_set_of_three(tmp_path: Path) -> Iterator[SentinelSet]:
    """As `sentinel_set` with two replicas: after a failover one is still there to answer a
    `WAIT 1` while the old primary is away."""
    with started_sentinel_set(tmp_path, replicas=2, acl_extra=("+flushdb", "+keys")) as servers:
        yield servers


def _started_cluster(workdir: Path) -> EmbeddedCluster:
    # Thought down after 1.5 s: a kill -9 fails over in a few seconds on loopback.
    cluster = redis_cluster(workdir, node_timeout_ms=1500, acl_extra=("+flushdb", "+keys"))
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def cluster_settings(cluster: EmbeddedCluster, **overrides: object) -> Settings:
    """Settings that reach `cluster` through its nodes; the URL gives only the login."""
    return get_settings(
        redis_url=cluster.url, redis_cluster_nodes=cluster.addresses, network_timeout_s=2.0,
        **overrides,
    )  # fmt: skip


@pytest.fixture
def redis_cluster_set(tmp_path: Path) -> Iterator[EmbeddedCluster]:
    """A Redis Cluster of three primaries and a replica of each (AOF, every write fsynced) of
    this test alone, for a test that kills a node; stopped at the end."""
    cluster = _started_cluster(tmp_path / "cluster")
    try:
        yield cluster
    finally:
        cluster.stop()
