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

from cad.outages import Outage, outage_of
from cad.settings import Settings
from service.servers import EmbeddedServer, free_port, redis_server
from tests.security.certs import make_tls_files
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

    await stall(args=[1])  # loaded, so that the batches below only wait
    waiting = asyncio.create_task(stalled())
    await asyncio.sleep(0.05)
    behind = [asyncio.create_task(_set_then_read(client, i)) for i in range(50)]
    await asyncio.sleep(0.01)
    server.kill()
    for task in [waiting, *behind]:
        with pytest.raises(RedisConnectionError):
            await task
    server.start()
    answers = await asyncio.gather(*(_set_then_read(client, i) for i in range(100, 120)))
    assert [a[:3] for a in answers] == [[True, i, str(i)] for i in range(100, 120)]
    # The script was lost with the restart (no AOF entry loads a script): loaded again.
    assert await stall(args=[1]) == 1


async def test_a_stalled_reply_times_out_and_its_connection_is_replaced(
    own_redis: tuple[EmbeddedServer, Redis],
) -> None:
    _, client = own_redis
    stall = client.register_script(_STALL_LUA)
    await stall(args=[1])
    before = (await _set_then_read(client, 0))[3]

    async def stalled() -> list[object]:
        async with client.pipeline(transaction=False) as pipe:
            pipe.evalsha(stall.sha, 0, 500)  # past the 0.3 s timeout
            return list(await pipe.execute())

    waiting = asyncio.create_task(stalled())
    await asyncio.sleep(0.05)
    behind = asyncio.create_task(_set_then_read(client, 1))
    with pytest.raises(RedisTimeoutError):
        await waiting
    # Written behind the stalled one on the same socket: it goes with it, as a lost connection.
    with pytest.raises(RedisConnectionError):
        await behind
    await asyncio.sleep(0.5)  # until Redis is free again
    # A connection that stopped answering may never answer again (a half-open socket).
    answers = await asyncio.gather(*(_set_then_read(client, i) for i in range(100, 120)))
    assert [a[:3] for a in answers] == [[True, i, str(i)] for i in range(100, 120)]
    assert {a[3] for a in answers} != {before}


async def test_the_batch_that_timed_out_is_told_so_behind_a_cancelled_one(
    own_redis: tuple[EmbeddedServer, Redis],
) -> None:
    _, client = own_redis
    stall = client.register_script(_STALL_LUA)
    await stall(args=[1])

    async def stalled() -> list[object]:
        async with client.pipeline(transaction=False) as pipe:
            pipe.evalsha(stall.sha, 0, 600)  # past the 0.3 s timeout
            return list(await pipe.execute())

    abandoned = asyncio.create_task(stalled())
    await asyncio.sleep(0.02)
    abandoned.cancel()  # its batch stays ahead on the socket, with nobody waiting
    with pytest.raises(RedisTimeoutError):
        await _set_then_read(client, 1)
    await asyncio.sleep(0.5)  # until Redis is free again


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


async def test_the_shared_connection_speaks_the_protocol_redis_py_own_connections_speak(
    redis: Redis,
) -> None:
    # redis-py's reply callbacks shape the shared connection's replies too: they must be the
    # replies they were written for (RESP3 by default in redis-py 8).
    async with redis.pipeline(transaction=False) as pipe:
        pipe.client_info()
        [shared] = await pipe.execute()
    pooled = await redis.client_info()
    assert shared["id"] != pooled["id"]
    assert shared["resp"] == pooled["resp"]


async def test_script_calls_travel_on_the_shared_connection_and_survive_a_script_flush(
    tmp_path: Path, settings: Settings
) -> None:
    server = redis_server(tmp_path, acl_extra=("+client|list",))
    server.start()
    client = open_redis(settings.model_copy(update={"redis_url": server.url}))
    try:
        script = client.register_script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}")
        assert await script(keys=["cad:{T}:n"], args=["Zoë"]) == ["cad:{T}:n", "Zoë", 1]
        shared = (await _set_then_read(client, 0))[3]
        assert await script(keys=["cad:{T}:n"], args=[7]) == ["cad:{T}:n", "7", 2]
        # Asked on a pooled connection: the shared one's last command was the script's.
        [entry] = [c for c in await client.client_list() if int(c["id"]) == shared]
        assert entry["cmd"] == "evalsha"
        await client.script_flush()
        assert await script(keys=["cad:{T}:n"], args=[8]) == ["cad:{T}:n", "8", 3]
        with pytest.raises(ResponseError, match="boom"):
            await client.register_script("return redis.error_reply('boom')")()
    finally:
        await client.aclose()
        server.stop()


async def test_pipelines_and_scripts_go_over_tls_trusting_the_configured_ca(
    tmp_path: Path, settings: Settings
) -> None:
    tls = make_tls_files(tmp_path)
    (tmp_path / "redis").mkdir()
    server = redis_server(tmp_path / "redis", tls=tls)
    server.start()
    trusted = open_redis(
        settings.model_copy(update={"redis_url": server.url, "redis_tls_ca_file": tls.ca})
    )
    untrusted = open_redis(settings.model_copy(update={"redis_url": server.url}))
    plain = open_redis(
        settings.model_copy(update={"redis_url": server.url.replace("rediss://", "redis://")})
    )
    try:
        assert server.url.startswith("rediss://")
        assert (await _set_then_read(trusted, 1))[:3] == [True, 1, "1"]
        assert await trusted.register_script("return ARGV[1]")(args=["over tls"]) == "over tls"
        # The system's trust store never signed the test CA; a plain-text client gets nowhere.
        with pytest.raises(RedisConnectionError):
            await _set_then_read(untrusted, 2)
        with pytest.raises((RedisConnectionError, RedisTimeoutError)):
            await _set_then_read(plain, 3)
    finally:
        for client in (trusted, untrusted, plain):
            await client.aclose()
        server.stop()


async def test_a_unix_socket_and_a_database_of_the_url_are_used_as_redis_py_uses_them(
    tmp_path: Path, settings: Settings
) -> None:
    server = redis_server(tmp_path, acl_extra=("+flushdb",))
    socket_path = tmp_path / "redis.sock"
    server.argv += ["--unixsocket", str(socket_path), "--unixsocketperm", "700"]
    server.start()
    user, password = server.login or ("", "")
    url = f"unix://{user}:{password}@{socket_path}?db=5"
    client = open_redis(settings.model_copy(update={"redis_url": url}))
    over_tcp = open_redis(settings.model_copy(update={"redis_url": server.url}))  # db 0
    try:
        await client.flushdb()
        assert (await _set_then_read(client, 4))[:3] == [True, 4, "4"]
        assert await client.get("cad:{T}:k4") == "4"  # the pool's connection, in the same db
        assert await over_tcp.get("cad:{T}:k4") is None
    finally:
        await client.aclose()
        await over_tcp.aclose()
        server.stop()


async def test_redis_down_is_an_outage_saying_the_connection_was_refused(
    settings: Settings,
) -> None:
    client = open_redis(
        settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    )
    try:
        with pytest.raises(RedisConnectionError) as refused:
            await _set_then_read(client, 1)
    finally:
        await client.aclose()
    assert outage_of(refused.value) == Outage("redis", "Connection refused")


async def test_a_reply_of_false_is_an_answer_not_a_reply_still_to_come(redis: Redis) -> None:
    # RESP3 has booleans: a script that speaks RESP3 answers `false` as one.
    script = redis.register_script("redis.setresp(3); return false")
    assert await script() is False
    async with redis.pipeline(transaction=False) as pipe:
        pipe.evalsha(script.sha, 0)
        pipe.set("cad:{T}:after", "1")
        assert await pipe.execute() == [False, True]
