"""The service's Redis clients on a Redis Cluster of three primaries and three replicas: a script
runs in one slot (one spanning slots is refused before it is sent), a batch spans the primaries,
SCAN covers every primary, and a WAIT asks each primary a batch wrote to."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from redis.asyncio.cluster import RedisCluster

from cad.keys import AreaKeys, GlobalKeys
from cad.settings import cluster_addresses, get_settings
from service.redis_cluster import EmbeddedCluster
from tests.ha.conftest import cluster_settings
from transport.redis_client import open_redis, open_sync_redis
from transport.scripts import Batch, CrossSlotScriptError, Script, ScriptClient

COUNT = Script("count", "return redis.call('INCR', KEYS[1]) + redis.call('INCR', KEYS[2])")
# Areas whose keys fall on three different primaries of a fresh cluster (slots by CRC16).
AREAS = ("CW", "NE", "TW", "SE", "AS", "EA")


def test_cluster_nodes_are_read_strictly() -> None:
    assert cluster_addresses(" 10.0.0.1:7000, redis-b:7001 ") == [
        ("10.0.0.1", 7000), ("redis-b", 7001),
    ]  # fmt: skip
    assert cluster_addresses("") == []
    for bad in ("10.0.0.1", ":7000", "host:port", "host:0", "host:70000"):
        with pytest.raises(ValidationError, match="redis_cluster_nodes"):
            get_settings(redis_cluster_nodes=bad)
    with pytest.raises(ValidationError, match="not both"):
        get_settings(redis_cluster_nodes="a:7000", redis_sentinels="b:26379")
    with pytest.raises(ValidationError, match="only database 0"):
        get_settings(redis_cluster_nodes="a:7000", redis_url="redis://a:7000/3")


def test_a_script_whose_keys_span_slots_is_refused_before_it_is_sent() -> None:
    batch = Batch()
    one_area = AreaKeys("CW")
    batch.script(COUNT, [one_area.pending, one_area.audit], [], int)  # one hash tag: one slot
    with pytest.raises(CrossSlotScriptError, match=r"script count: its KEYS .* span 2 hash slots"):
        batch.script(COUNT, [one_area.pending, AreaKeys("NE").pending], [], int)


async def test_scripts_batches_and_scans_span_the_primaries(
    cluster_proc: EmbeddedCluster,
) -> None:
    client = open_redis(cluster_settings(cluster_proc))
    assert isinstance(client, RedisCluster)
    try:
        await client.flushdb()
        areas = [AreaKeys(area) for area in AREAS]
        primaries = {cluster_proc.primary_of(keys.pending).port for keys in areas}
        assert len(primaries) == 3  # the areas below do span every primary
        scripts = ScriptClient(client)
        for keys in areas:
            assert await scripts.run(COUNT, [keys.pending, keys.audit], []) == 2
        batch = Batch()
        counted = [batch.script(COUNT, [k.pending, k.audit], [], int) for k in areas]
        batch.command(int, "SADD", GlobalKeys().areas, *AREAS)
        waited = batch.wait_for_replicas(1, 1500)
        answers = await batch.run(client)
        assert [c.answer(answers) for c in counted] == [4] * len(areas)
        # Every primary the batch wrote to has its replica holding the writes.
        assert waited.answer(answers) == 1
        found = {key async for key in client.scan_iter(match="cad:{*}:pending", count=100)}
        assert found == {keys.pending for keys in areas}
    finally:
        await client.aclose()
    blocking = open_sync_redis(cluster_settings(cluster_proc))
    try:
        assert blocking.smembers(GlobalKeys().areas) == set(AREAS)
        with blocking.pipeline(transaction=False) as pipe:
            for keys in areas:
                pipe.get(keys.pending)
            assert pipe.execute() == ["2"] * len(areas)  # two INCRs by each run
    finally:
        blocking.close()
