"""Pipelines multiplexed on one shared connection, against a real Redis: every caller gets its
own answers, as redis-py would give them; a lost or stalled connection fails only what it held."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError, NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cad.settings import Settings
from service.servers import EmbeddedServer, redis_server
from transport.redis_client import open_redis

# Holds Redis (and so every reply behind it) for about this long.
_STALL_LUA = """
local t = redis.call('TIME')
local until_us = t[1] * 1000000 + t[2] + tonumber(ARGV[1]) * 1000
repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= until_us
return 1
"""


async def _set_then_read(redis: Redis, i: int) -> list[object]:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(f"cad:{{T}}:k{i}", i)
        pipe.incrby(f"cad:{{T}}:n{i}", i)
        pipe.get(f"cad:{{T}}:k{i}")
        pipe.client_id()
        return list(await pipe.execute())


async def test_concurrent_pipelines_each_get_their_own_answers_on_one_connection(
    redis: Redis,
) -> None:
    answers = await asyncio.gather(*(_set_then_read(redis, i) for i in range(300)))
    assert [a[:3] for a in answers] == [[True, i, str(i)] for i in range(300)]
    assert len({a[3] for a in answers}) == 1  # one client id: one connection served them all


async def test_replies_are_shaped_by_redis_py_callbacks(redis: Redis) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hset("cad:{T}:h", mapping={"a": 1, "b": "Zoë"})
        pipe.hgetall("cad:{T}:h")
        pipe.expire("cad:{T}:h", 60)
        pipe.geoadd("cad:{T}:g", (-0.1276, 51.5072, "here"))
        pipe.geosearch("cad:{T}:g", longitude=-0.1276, latitude=51.5072, radius=10, unit="m")
        pipe.exists("cad:{T}:missing")
        assert await pipe.execute() == [2, {"a": "1", "b": "Zoë"}, True, 1, ["here"], 0]


async def test_error_replies_keep_redis_py_types_and_do_not_stop_the_batch(redis: Redis) -> None:
    await redis.set("cad:{T}:s", "text")
    async with redis.pipeline(transaction=False) as pipe:
        pipe.evalsha("0" * 40, 0)
        pipe.hget("cad:{T}:s", "f")
        pipe.get("cad:{T}:s")
        unknown, wrong_type, value = await pipe.execute(raise_on_error=False)
    assert isinstance(unknown, NoScriptError)
    assert isinstance(wrong_type, ResponseError)
    assert "WRONGTYPE" in str(wrong_type)
    assert value == "text"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get("cad:{T}:s")
        pipe.hget("cad:{T}:s", "f")
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await pipe.execute()


async def test_an_unpackable_value_is_refused_before_anything_is_sent(redis: Redis) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set("cad:{T}:x", "sent?")
        pipe.execute_command("SET", "cad:{T}:y", None)
        with pytest.raises(DataError):
            await pipe.execute()
    assert await redis.get("cad:{T}:x") is None
    assert (await _set_then_read(redis, 1))[:3] == [True, 1, "1"]


async def test_transactions_keep_redis_py_own_path(redis: Redis) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr("cad:{T}:t")
        pipe.incr("cad:{T}:t")
        assert await pipe.execute() == [1, 2]


@pytest.fixture
async def own_redis(
    tmp_path: Path, settings: Settings
) -> AsyncIterator[tuple[EmbeddedServer, Redis]]:
    """A redis-server this test may stop and start, and a client with a short timeout."""
    server = redis_server(tmp_path, acl_extra=("+flushdb",))
    server.start()
    client = open_redis(
        settings.model_copy(update={"redis_url": server.url, "network_timeout_s": 0.3})
    )
    try:
        yield server, client
    finally:
        await client.aclose()
        server.stop()


async def test_a_restarted_redis_fails_what_was_waiting_and_serves_the_next_batch(
    own_redis: tuple[EmbeddedServer, Redis],
) -> None:
    server, client = own_redis
    stall = client.register_script(_STALL_LUA)
    assert (await _set_then_read(client, 1))[:3] == [True, 1, "1"]

    async def stalled() -> list[object]:
        async with client.pipeline(transaction=False) as pipe:
            pipe.evalsha(stall.sha, 0, 250)
            return list(await pipe.execute())

    await stall(args=[1])  # loaded, so that the batch below only waits
    waiting = asyncio.create_task(stalled())
    await asyncio.sleep(0.05)
    server.kill()
    with pytest.raises(RedisConnectionError):
        await waiting
    server.start()
    assert (await _set_then_read(client, 2))[:3] == [True, 2, "2"]


async def test_a_stalled_reply_times_out_and_its_connection_is_replaced(
    own_redis: tuple[EmbeddedServer, Redis],
) -> None:
    _, client = own_redis
    stall = client.register_script(_STALL_LUA)
    await stall(args=[1])
    before = (await _set_then_read(client, 0))[3]
    async with client.pipeline(transaction=False) as pipe:
        pipe.evalsha(stall.sha, 0, 500)  # past the 0.3 s timeout
        with pytest.raises(RedisTimeoutError):
            await pipe.execute()
    await asyncio.sleep(0.5)  # until Redis is free again
    # A connection that stopped answering may never answer again (a half-open socket).
    answers = await asyncio.gather(*(_set_then_read(client, i) for i in range(20)))
    assert [a[:3] for a in answers] == [[True, i, str(i)] for i in range(20)]
    assert {a[3] for a in answers} != {before}


async def test_a_cancelled_caller_leaves_later_answers_in_place(redis: Redis) -> None:
    stall = redis.register_script(_STALL_LUA)
    await stall(args=[1])

    async def stalled() -> None:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.evalsha(stall.sha, 0, 100)
            await pipe.execute()

    waiting = asyncio.create_task(stalled())
    await asyncio.sleep(0.02)
    waiting.cancel()
    answers = await asyncio.gather(*(_set_then_read(redis, i) for i in range(5)))
    assert [a[:3] for a in answers] == [[True, i, str(i)] for i in range(5)]
