"""The service's Redis clients under Sentinel: they find the primary through the sentinels and
follow a failover (kill -9 of the primary), and a write acknowledged after `WAIT 1` survives it."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.ha.conftest import SentinelSet
from transport.redis_client import open_redis, open_sync_redis

# What a kill -9 of the primary may take: 1 s to be thought down, an election, the promotion and
# our clients' reconnection (measured about 2-4 s on loopback; see docs/reliability.md).
FAILOVER_BOUND_S = 15.0

# One write through each of the client's two paths: the shared connection (a script's call, as
# the call intake's) and redis-py's Sentinel pool (a single command).
COUNT_SCRIPT = "return redis.call('INCR', KEYS[1])"


async def test_reads_and_writes_through_the_sentinels(sentinel_set: SentinelSet) -> None:
    client = open_redis(sentinel_set.settings)
    try:
        script = client.register_script(COUNT_SCRIPT)
        assert await script(keys=["{ha}:n"]) == 1
        await client.set("{ha}:pool", "written")
        assert await client.get("{ha}:pool") == "written"
        pipe = client.pipeline(transaction=False)
        pipe.incr("{ha}:n")
        pipe.get("{ha}:pool")
        assert await pipe.execute() == [2, "written"]
    finally:
        await client.aclose()
    blocking = open_sync_redis(sentinel_set.settings)
    try:
        assert blocking.get("{ha}:n") == "2"
        blocking.set("{ha}:avl", "fix")
    finally:
        blocking.close()
    # Each one wrote to the server the sentinels name as primary.
    assert sentinel_set.primary() is sentinel_set.servers[0]


async def _durable_write(client: Redis, n: int) -> bool:
    # A write is acknowledged only once one replica holds it (WAIT 1): what a failover keeps.
    pipe = client.pipeline(transaction=False)
    pipe.xadd("{ha}:acked", {"n": str(n)})
    pipe.execute_command("WAIT", 1, 1000)
    _, replicas = await pipe.execute()
    return int(replicas) >= 1


@pytest.mark.slow
async def test_the_client_follows_a_failover_and_keeps_acknowledged_writes(
    sentinel_set: SentinelSet,
) -> None:
    client = open_redis(sentinel_set.settings)
    blocking = open_sync_redis(sentinel_set.settings)
    old = sentinel_set.primary()
    acknowledged: list[int] = []
    failures = 0
    killed_at: float | None = None
    recovered = {"script": 0.0, "pool": 0.0, "blocking": 0.0}
    script = client.register_script(COUNT_SCRIPT)
    try:
        n = 0
        while not all(recovered.values()):
            n += 1
            if n == 200:
                old.kill()
                killed_at = time.monotonic()
            assert killed_at is None or time.monotonic() - killed_at < FAILOVER_BOUND_S
            try:
                if await _durable_write(client, n):
                    acknowledged.append(n)
                await script(keys=["{ha}:n"])
                await client.incr("{ha}:pool")
                blocking.incr("{ha}:blocking")
            except RedisError:
                failures += 1
                await asyncio.sleep(0.05)
                continue
            if killed_at is not None:
                # A round through every path after the kill: each has followed the failover.
                after = time.monotonic() - killed_at
                for path in recovered:
                    recovered[path] = recovered[path] or after
        new = sentinel_set.primary()
        assert new is not old
        # Every write a replica acknowledged is on the promoted one, none twice.
        stored = [int(fields["n"]) for _, fields in await client.xrange("{ha}:acked")]
        assert len(stored) == len(set(stored))
        assert set(acknowledged) <= set(stored)
        print(
            f"\nfailover followed in {max(recovered.values()):.2f} s after kill -9 "
            f"({failures} failed rounds, {len(acknowledged)} writes acknowledged)"
        )
    finally:
        blocking.close()
        await client.aclose()
