"""Redis Cluster: the service's keys spread over the cluster's primaries by hash slot.

redis-py's public cluster clients (asyncio and blocking) learn the slots from the configured
nodes, send each command to the primary of its key's slot, follow MOVED/ASK, and after a
failover ask the cluster again and retry. Every key of one dispatch area carries the area as its
hash tag (cad/keys.py), so each script touches one slot (transport/scripts.py checks it); a batch
whose commands touch several slots is sent as one pipeline per primary, concurrently.
"""

from __future__ import annotations

from typing import Any

import redis.cluster
from redis.asyncio.cluster import ClusterNode, RedisCluster

from cad.settings import Settings, cluster_addresses

# Connections to one node a process holds at most: redis-py's cluster client refuses more (it has
# no blocking pool), so above the service's own bound on concurrent handlers
# (transport/redis_client.py MAX_CONNECTIONS) with room for the background jobs.
MAX_NODE_CONNECTIONS = 256


def uses_cluster(settings: Settings) -> bool:
    """Whether a Redis Cluster, not `redis_url`'s one server, holds the data."""
    return bool(cluster_addresses(settings.redis_cluster_nodes))


def async_cluster(settings: Settings, options: dict[str, Any]) -> RedisCluster:
    """The asyncio cluster client; `options` are every connection's (login, timeouts, TLS)."""
    nodes = [
        ClusterNode(host, port) for host, port in cluster_addresses(settings.redis_cluster_nodes)
    ]
    return RedisCluster(
        startup_nodes=nodes, max_connections=MAX_NODE_CONNECTIONS,
        # A primary down stops its own slots only: the rest keep serving meanwhile.
        require_full_coverage=False, **options,
    )  # fmt: skip


def sync_cluster(settings: Settings, options: dict[str, Any]) -> redis.cluster.RedisCluster:
    """The blocking cluster client, for processes without an event loop (AVL workers)."""
    nodes = [
        redis.cluster.ClusterNode(host, port)
        for host, port in cluster_addresses(settings.redis_cluster_nodes)
    ]
    return redis.cluster.RedisCluster(startup_nodes=nodes, require_full_coverage=False, **options)
