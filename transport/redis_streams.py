"""XREAD over streams that may lie in different hash slots: one blocking command on one server;
on a Redis Cluster, where one command reads one slot, each stream is read without blocking, all
in one pipeline (a round trip to each primary at once), again every `CLUSTER_POLL_S` until an
entry comes or `block_ms` is over."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from redis.asyncio.cluster import RedisCluster

from transport.redis_types import AsyncRedis

# What a cluster's reader adds to an entry's delay at most, for ten pipelines a second per reader.
CLUSTER_POLL_S = 0.1


async def read_streams(
    redis: AsyncRedis, streams: dict[str, str], *, count: int, block_ms: int
) -> list[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """The entries after each stream's id, as XREAD answers them (streams with none left out),
    waiting up to `block_ms` for the first."""
    if not isinstance(redis, RedisCluster):
        reply: Any = await redis.xread(streams, count=count, block=block_ms)
        return list(reply or [])
    deadline = time.monotonic() + block_ms / 1000
    while True:
        async with redis.pipeline(transaction=False) as pipe:
            for key, after in streams.items():
                pipe.xread({key: after}, count=count)
            replies = await pipe.execute()
        found = [stream for reply in replies for stream in reply or []]
        left = deadline - time.monotonic()
        if found or left <= 0:
            return found
        await asyncio.sleep(min(CLUSTER_POLL_S, left))
