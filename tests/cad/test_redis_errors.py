"""Error replies from a real Redis reach the service as the exceptions redis-py raises for them,
whether they came through redis-py's own connections or our shared one (transport/redis_link.py):
the same class, message and status code, and raised or returned as redis-py's pipeline does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import (
    AuthenticationError,
    BusyLoadingError,
    MasterDownError,
    NoPermissionError,
    NoScriptError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
)

from cad.settings import Settings
from service.servers import EmbeddedServer, free_port, redis_server
from transport.redis_client import open_redis

# Each code redis-py gives a class of its own, and some it does not (a ResponseError with the
# whole reply); Lua's `redis.error_reply` makes Redis send any of them as a real error reply.
ERROR_REPLIES = [
    "OOM command not allowed when used memory > 'maxmemory'.",
    "WRONGPASS invalid username-password pair or user is disabled.",
    "EXECABORT Transaction discarded because of previous errors.",
    "LOADING Redis is loading the dataset in memory",
    "NOSCRIPT No matching script. Please use EVAL.",
    "READONLY You can't write against a read only replica.",
    "NOAUTH Authentication required.",
    "NOPERM User cad-service has no permissions to run the 'config|get' command",
    "ASK 3999 127.0.0.1:6381",
    "TRYAGAIN Multiple keys request during rehashing of slot",
    "MOVED 3999 127.0.0.1:6381",
    "CLUSTERDOWN The cluster is down",
    "CROSSSLOT Keys in request don't hash to the same slot",
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    "ERR max number of clients reached",
    "ERR invalid password",
    "ERR wrong number of arguments for 'auth' command",
    "ERR unknown command 'FOO', with args beginning with: ",
    "WRONGTYPE Operation against a key holding the wrong kind of value",
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.",
    "MISCONF Redis is configured to save RDB snapshots, but it's unable to persist to disk.",
    "NOREPLICAS Not enough good replicas to write.",
    "ERR Error loading the extension. Please check the server logs.",
    "ERR problem with LDAP service",
    "ERR no such fieldset",
    "Syntax error at offset 3",
]
ERROR_REPLY_LUA = "return redis.error_reply(ARGV[1])"


def _same_error(ours: BaseException, theirs: BaseException) -> None:
    assert type(ours) is type(theirs)
    assert ours.args == theirs.args
    assert getattr(ours, "status_code", None) == getattr(theirs, "status_code", None)


def _plain_redis_py(url: str) -> Redis:
    """redis-py's own client, no retries: the oracle our answers are compared with."""
    return Redis.from_url(url, decode_responses=True, retry=Retry(NoBackoff(), 0))


async def _through_redis_py_pipeline(client: Redis, *command: object) -> tuple[str, object]:
    """What a non-transactional pipeline of the client does with one command: answers (an error
    among the answers) or raises."""
    try:
        async with client.pipeline(transaction=False) as pipe:
            pipe.execute_command(*command)
            [answer] = await pipe.execute(raise_on_error=False)
        return "answered", answer
    except RedisError as raised:
        return "raised", raised


@pytest.mark.parametrize("reply", ERROR_REPLIES, ids=[r.split(" ")[0] for r in ERROR_REPLIES])
async def test_every_error_reply_becomes_the_exception_redis_py_makes_of_it(
    redis: Redis, settings: Settings, reply: str
) -> None:
    plain = _plain_redis_py(settings.redis_url)
    try:
        with pytest.raises(RedisError) as theirs:
            await plain.eval(ERROR_REPLY_LUA, 0, reply)
        piped_theirs = await _through_redis_py_pipeline(plain, "EVAL", ERROR_REPLY_LUA, 0, reply)
    finally:
        await plain.aclose()
    piped_ours = await _through_redis_py_pipeline(redis, "EVAL", ERROR_REPLY_LUA, 0, reply)
    assert piped_ours[0] == piped_theirs[0]
    assert isinstance(piped_ours[1], RedisError)
    assert isinstance(piped_theirs[1], RedisError)
    _same_error(piped_ours[1], piped_theirs[1])
    _same_error(piped_ours[1], theirs.value)
    # A script call on the shared connection raises it as redis-py's own script call does.
    with pytest.raises(RedisError) as scripted:
        await redis.register_script(ERROR_REPLY_LUA)(args=[reply])
    _same_error(scripted.value, theirs.value)


async def test_errors_redis_sends_of_its_own_accord_keep_their_classes(redis: Redis) -> None:
    await redis.set("cad:{E}:text", "x")
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hget("cad:{E}:text", "f")
        pipe.evalsha("0" * 40, 0)
        pipe.config_get("maxmemory")  # the service's ACL user may not
        pipe.get("cad:{E}:text")
        wrong_type, unknown, refused, value = await pipe.execute(raise_on_error=False)
    assert type(wrong_type) is ResponseError
    assert str(wrong_type).startswith("WRONGTYPE")
    assert isinstance(unknown, NoScriptError)
    assert isinstance(refused, NoPermissionError)
    assert value == "x"


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """A redis-server the test configures before starting it, stopped afterwards."""
    server = redis_server(tmp_path)
    yield server
    server.stop()


async def _piped(url: str, *command: object) -> tuple[str, object]:
    client = open_redis(Settings(redis_url=url, network_timeout_s=2.0))
    try:
        return await _through_redis_py_pipeline(client, *command)
    finally:
        await client.aclose()


async def test_a_full_redis_refuses_writes_with_out_of_memory(own_server: EmbeddedServer) -> None:
    own_server.argv += ["--maxmemory", "1", "--maxmemory-policy", "noeviction"]
    own_server.start()
    how, answer = await _piped(own_server.url, "SET", "cad:{E}:k", "v")
    assert how == "answered"
    assert isinstance(answer, OutOfMemoryError)
    assert await _piped(own_server.url, "GET", "cad:{E}:k") == ("answered", None)


async def test_a_replica_refuses_writes_as_read_only_and_without_its_primary_reads_as_master_down(
    own_server: EmbeddedServer,
) -> None:
    nothing_there = free_port()
    own_server.argv += ["--replicaof", "127.0.0.1", str(nothing_there)]
    own_server.argv += ["--replica-serve-stale-data", "no"]
    own_server.start()
    how, answer = await _piped(own_server.url, "SET", "cad:{E}:k", "v")
    assert how == "answered"
    assert isinstance(answer, ReadOnlyError)
    how, answer = await _piped(own_server.url, "GET", "cad:{E}:k")
    assert how == "answered"
    assert isinstance(answer, MasterDownError)


async def test_redis_loading_its_data_is_raised_as_redis_py_raises_it(
    own_server: EmbeddedServer,
) -> None:
    own_server.start()
    filler = open_redis(Settings(redis_url=own_server.url))
    async with filler.pipeline(transaction=False) as pipe:
        for n in range(20_000):
            pipe.set(f"cad:{{E}}:filler:{n}", "x")
        await pipe.execute()
    await filler.aclose()
    own_server.stop()
    own_server.argv += ["--key-load-delay", "200"]  # µs a key: seconds to load
    own_server.start()  # it listens at once, and answers LOADING until its AOF is in
    ours = await _piped(own_server.url, "GET", "cad:{E}:filler:1")
    plain = _plain_redis_py(own_server.url)  # second: if it met LOADING, ours did
    try:
        theirs = await _through_redis_py_pipeline(plain, "GET", "cad:{E}:filler:1")
    finally:
        await plain.aclose()
    # A ConnectionError, so redis-py's pipeline raises it whatever `raise_on_error` says.
    assert theirs[0] == ours[0] == "raised"
    assert isinstance(theirs[1], BusyLoadingError)
    assert isinstance(ours[1], BusyLoadingError)
    _same_error(ours[1], theirs[1])


async def test_a_wrong_password_is_refused_as_redis_py_refuses_it(
    redis_proc: EmbeddedServer,
) -> None:
    assert redis_proc.login is not None
    url = redis_proc.url.replace(f":{redis_proc.login[1]}@", ":wrong-password@")
    plain = _plain_redis_py(url)
    try:
        with pytest.raises(AuthenticationError) as theirs:
            await plain.ping()
    finally:
        await plain.aclose()
    how, ours = await _piped(url, "PING")
    assert how == "raised"
    assert isinstance(ours, AuthenticationError)
    _same_error(ours, theirs.value)
