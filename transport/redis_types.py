"""The Redis clients the service is handed, whatever the topology (one server, Sentinel or
Cluster: transport/redis_client.py), by one name each: the rest of the service calls only the
commands both kinds answer alike (single-slot scripts and multi-key commands, pipelines that
need no transaction across slots; docs/reliability.md, "Redis Cluster")."""

from __future__ import annotations

from typing import TypeAlias

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster

AsyncRedis: TypeAlias = redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster
SyncRedis: TypeAlias = redis.Redis | redis.cluster.RedisCluster
