"""Our shared connection and the blocking client pack commands with one hiredis call: the bytes
redis-py packs."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from cad.settings import Settings
from transport.redis_client import open_sync_redis
from transport.redis_packing import pack_command

COMMANDS = [
    ("GET", "cad:{CW}:incident:CAD 1/1DEC26"),
    ("SCRIPT LOAD", "return 1"),
    ("GEOSEARCH", "k", "FROMLONLAT", -0.123456789012345, 51.5, "BYRADIUS", 1000, "m"),
    ("HSET", "k", "caller", "Zoë", "score", 10**13 * 3 + 1_764_000_000_000, "neg", -7),
    ("SET", b"raw", b"\x00\xff bytes"),
    ("SET", "big", 1e20),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[str(c[0]) for c in COMMANDS])
def test_we_pack_exactly_what_redis_py_packs(command: tuple[object, ...]) -> None:
    theirs = b"".join(Connection().pack_command(*command))
    assert pack_command(*command) == theirs
    # The blocking client (AVL workers) packs with ours, through its `command_packer` argument.
    sync_client = open_sync_redis(Settings(redis_url="redis://127.0.0.1:1/0"))
    assert b"".join(sync_client.connection_pool.make_connection().pack_command(*command)) == theirs


def test_a_value_redis_cannot_hold_is_refused_as_redis_py_refuses_it() -> None:
    with pytest.raises(DataError):
        Connection().pack_command("SET", "k", None)
    with pytest.raises(DataError):
        pack_command("SET", "k", None)
    sync_client = open_sync_redis(Settings(redis_url="redis://127.0.0.1:1/0"))
    with pytest.raises(DataError):
        sync_client.connection_pool.make_connection().pack_command("SET", "k", None)


async def test_scripts_pipelines_and_replies_round_trip_through_a_real_redis(
    redis: Redis,
) -> None:
    script = redis.register_script("return {KEYS[1], ARGV[1], ARGV[2]}")
    assert await script(keys=["cad:{CW}:k"], args=["Zoë", 51.5]) == ["cad:{CW}:k", "Zoë", "51.5"]
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset("cad:{CW}:h", mapping={"a": 1, "b": "two"})
        pipe.hgetall("cad:{CW}:h")
        assert await pipe.execute() == [2, {"a": "1", "b": "two"}]
