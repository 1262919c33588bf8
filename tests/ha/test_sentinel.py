"""The service's Redis clients under Sentinel: they find the primary through the sentinels and
follow a failover (kill -9 of the primary), and a write acknowledged after `WAIT 1` survives it."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, RedisError
from redis.sentinel import MasterNotFoundError

from cad.keys import GlobalKeys
from cad.settings import Settings, get_settings, sentinel_addresses
from callhandling.incidents import Outcome
from callhandling.intake import CallIntake
from dispatch.scripts import register_scripts
from service.redis_sentinel_set import MASTER, sentinel_server
from service.servers import LOOPBACK, EmbeddedServer
from tests.callhandling.test_call_scripts import AREA, event
from tests.dispatch.mutual_aid_fixtures import dispatcher_for
from tests.ha.conftest import SentinelSet
from transport.redis_client import open_redis, open_sync_redis
from transport.redis_link import RedisEndpoint, SharedConnection
from transport.redis_packing import pack_command
from transport.redis_sentinel import async_sentinel, newest_primary

# What a kill -9 of the primary may take: 1 s to be thought down, an election, the promotion and
# our clients' reconnection (measured about 2-4 s on loopback; see docs/reliability.md).
FAILOVER_BOUND_S = 15.0

# One write through each of the client's two paths: the shared connection (a script's call, as
# the call intake's) and redis-py's Sentinel pool (a single command).
# Calls through the intake for the cost of WAIT, each way.
CALLS = 200

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


# A sentinel that misses every hello message (no SUBSCRIBE, no PUBLISH): it keeps the
# configuration it was started with, as one whose hello messages lag or restarted from an old
# configuration file does for a while.
DEAF_SENTINEL_USER = "deaf-sentinel"
DEAF_SENTINEL_COMMANDS = "+ping +info +role +client|setname"


@pytest.mark.slow
async def test_a_sentinel_that_missed_the_failover_is_outvoted(
    sentinel_set: SentinelSet, tmp_path: Path
) -> None:
    """A killed primary restarted by its supervisor is a primary again, with no replica, until
    the sentinels make it a replica of the one they promoted (and it then drops what it was
    given). A sentinel that has not heard of the failover names it: every client, asked first
    by that sentinel, still writes to the promoted primary, the newest configuration's."""
    old = sentinel_set.primary()
    [new] = [server for server in sentinel_set.servers if server is not old]
    password = secrets.token_urlsafe(24)
    with (old.workdir / "users.acl").open("a") as acl:  # read again when it restarts
        acl.write(f"user {DEAF_SENTINEL_USER} on >{password} {DEAF_SENTINEL_COMMANDS}\n")
    old.kill()
    named = await _named_by_all(sentinel_set, new)
    old.start()
    deaf = sentinel_server(tmp_path / "deaf", old.port, password, user=DEAF_SENTINEL_USER)
    deaf.start()
    try:
        await _named_by(deaf, old)
        sentinels = [f"{LOOPBACK}:{deaf.port}", *sentinel_set.settings.redis_sentinels.split(",")]
        settings = sentinel_set.settings.model_copy(update={"redis_sentinels": ",".join(sentinels)})
        client = open_redis(settings)
        blocking = open_sync_redis(settings)
        try:
            await client.register_script(COUNT_SCRIPT)(keys=["{ha}:script"])
            await client.set("{ha}:pool", "written")
            blocking.set("{ha}:blocking", "written")
        finally:
            blocking.close()
            await client.aclose()
        with SyncRedis.from_url(new.url, decode_responses=True) as promoted:
            got = promoted.mget("{ha}:script", "{ha}:pool", "{ha}:blocking")
        assert got == ["1", "written", "written"], f"failover seen {named:.1f} s after the kill"
    finally:
        deaf.stop()


async def test_a_sentinel_that_does_not_answer_holds_no_connection_up(
    sentinel_set: SentinelSet,
) -> None:
    """A sentinel down without refusing (stopped: the kernel still takes its connections, as a
    machine cut off by a firewall would leave them unanswered) does not hold up the search for
    the primary for the network timeout (2 s here): once most have answered, the others get
    `STRAGGLER_GRACE_S`."""
    silent = sentinel_set.sentinels[0]
    assert silent.proc is not None
    os.kill(silent.proc.pid, signal.SIGSTOP)
    sentinel = async_sentinel(sentinel_set.settings, {})
    try:
        started = time.monotonic()
        _, port = await sentinel.discover_master(MASTER)
        took = time.monotonic() - started
    finally:
        os.kill(silent.proc.pid, signal.SIGCONT)
        for client in sentinel.sentinels:
            await client.aclose()
    assert port == sentinel_set.servers[0].port  # no failover: the first primary
    assert took < sentinel_set.settings.network_timeout_s / 2, took


async def _named_by_all(sentinel_set: SentinelSet, server: EmbeddedServer) -> float:
    """Wait until every sentinel of the set names `server` the primary: seconds waited."""
    started = time.monotonic()
    for sentinel in sentinel_set.sentinels:
        await _named_by(sentinel, server)
    return time.monotonic() - started


async def _named_by(sentinel: EmbeddedServer, server: EmbeddedServer) -> None:
    """Wait until `sentinel` names `server` a primary it thinks up."""
    started = time.monotonic()
    with SyncRedis(LOOPBACK, sentinel.port, decode_responses=True) as asked:
        while True:
            state = asked.sentinel_master(MASTER)
            up = state["is_master"] and not (state["is_sdown"] or state["is_odown"])
            if int(state["port"]) == server.port and up:
                return
            assert time.monotonic() - started < FAILOVER_BOUND_S, (server.port, dict(state))
            await asyncio.sleep(0.1)


async def _accept_calls(settings: Settings, prefix: str, count: int) -> tuple[list[str], float]:
    """`count` new calls through the call intake, one after another: their refs and the mean
    time of one."""
    client = open_redis(settings)
    try:
        intake = CallIntake(client, dispatcher_for(client, register_scripts(client)), settings)
        refs = []
        started = time.perf_counter()
        for n in range(count):
            result = await intake.accept(
                event(f"{prefix}-{n}"), actor="t", auto_link=False, area=AREA
            )
            assert result.outcome is Outcome.CREATED
            refs.append(result.incident.ref)
        return refs, (time.perf_counter() - started) / count
    finally:
        await client.aclose()


@pytest.mark.slow
async def test_calls_acknowledged_after_wait_survive_a_failover(
    sentinel_set: SentinelSet, caplog: pytest.LogCaptureFixture
) -> None:
    """With CAD_REDIS_WAIT_REPLICAS=1 each new call's incident and dispatch are on the replica
    before the intake answers, so kill -9 of the primary right after loses none; the cost of
    that WAIT is measured against the same calls without it."""
    plain = sentinel_set.settings
    # Within the client's own timeout (2 s here; the settings refuse a WAIT as long as it, and
    # model_copy does not validate), so that a slow replica answers "not replicated" in time.
    waiting = plain.model_copy(update={"redis_wait_replicas": 1, "redis_wait_timeout_ms": 1_000})
    await _accept_calls(plain, "warm-up", 20)  # scripts loaded, caches filled: not measured
    _, plain_s = await _accept_calls(plain, "plain", CALLS)
    refs, waiting_s = await _accept_calls(waiting, "waited", CALLS)
    # A call whose WAIT timed out is accepted all the same and logged: a failover may lose it
    # (docs/reliability.md). On a loaded machine, with `appendfsync always` on both servers, a
    # replica's answer took over a second at times: the promise is for the calls it confirmed.
    unconfirmed = {
        r.__dict__["fields"]["incident_ref"]
        for r in caplog.records
        if r.msg == "call_not_replicated"
    }
    confirmed = [ref for ref in refs if ref not in unconfirmed]
    assert len(confirmed) >= CALLS // 2, f"{len(unconfirmed)} of {CALLS} calls not replicated"
    old = sentinel_set.primary()
    old.kill()
    client = open_redis(plain)
    try:
        started = time.monotonic()
        while True:
            try:
                areas = await client.hgetall(GlobalKeys().incident_area)
                break
            except RedisError:
                assert time.monotonic() - started < FAILOVER_BOUND_S
                await asyncio.sleep(0.1)
        assert set(confirmed) <= set(areas)
        assert sentinel_set.primary() is not old
    finally:
        await client.aclose()
    print(
        f"\ncall intake, {CALLS} sequential calls: {plain_s * 1000:.2f} ms a call without WAIT, "
        f"{waiting_s * 1000:.2f} ms with WAIT 1 ({len(confirmed)} of {CALLS} confirmed)"
    )


def test_the_newest_configuration_names_the_primary() -> None:
    """Of the sentinels' answers, the greatest config epoch that names a primary thought up
    wins, whichever sentinel answered first; none usable is no primary known."""

    def state(port: int, epoch: int, *, up: bool = True) -> dict[str, object]:
        return {"ip": LOOPBACK, "port": port, "config-epoch": epoch, "up": up}

    def usable(answer: Mapping[str, object]) -> bool:
        return bool(answer["up"])

    stale, newest, newer_but_down = state(1, 0), state(2, 3), state(3, 4, up=False)
    answers = [stale, RedisConnectionError("refused"), newest, newer_but_down]
    assert newest_primary(MASTER, answers, usable) == (LOOPBACK, 2)
    with pytest.raises(MasterNotFoundError, match="refused"):
        newest_primary(MASTER, [newer_but_down, RedisConnectionError("refused")], usable)
    with pytest.raises(KeyError):  # not Redis's answer: a fault of ours, not an outage
        newest_primary(MASTER, [stale, KeyError("config-epoch")], usable)


def test_sentinel_addresses_are_read_strictly() -> None:
    assert sentinel_addresses(" 10.0.0.1:26379, sentinel-b:26380 ") == [
        ("10.0.0.1", 26379), ("sentinel-b", 26380),
    ]  # fmt: skip
    assert sentinel_addresses("") == []
    for bad in ("10.0.0.1", ":26379", "host:port", "host:0", "host:70000"):
        with pytest.raises(ValidationError, match="redis_sentinels"):
            get_settings(redis_sentinels=bad)


async def test_a_readonly_reply_makes_the_shared_connection_ask_again(
    sentinel_set: SentinelSet,
) -> None:
    """A server that answers READONLY was demoted: the next batch connects again, to wherever
    the resolver says the primary is now (here first the replica, then the primary)."""
    primary, replica = sentinel_set.servers
    login = primary.login
    assert login is not None
    base = RedisEndpoint(port=primary.port, username=login[0], password=login[1])
    answers = iter([replica.port, primary.port])
    asked: list[int] = []

    async def resolve() -> RedisEndpoint:
        asked.append(next(answers))
        return replace(base, port=asked[-1])

    shared = SharedConnection(base, timeout_s=2.0, encoding="utf-8", resolve=resolve)
    try:
        write = pack_command("SET", "{ha}:readonly", "1")
        [refused] = await shared.execute(write, 1)
        assert isinstance(refused, ReadOnlyError)
        assert await shared.execute(write, 1) == ["OK"]
        assert asked == [replica.port, primary.port]
        assert await shared.execute(pack_command("GET", "{ha}:readonly"), 1) == ["1"]
        assert len(asked) == 2  # a healthy connection is kept
    finally:
        await shared.aclose()


def test_a_wait_must_end_before_the_client_gives_up(sentinel_set: SentinelSet) -> None:
    """A WAIT longer than the network timeout would fail the call's round trip as an outage."""
    with pytest.raises(ValidationError, match="redis_wait_timeout_ms"):
        Settings.model_validate(
            {**sentinel_set.settings.model_dump(), "redis_wait_replicas": 1,
             "redis_wait_timeout_ms": 5_000, "network_timeout_s": 5.0}
        )  # fmt: skip
