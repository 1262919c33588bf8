"""Faults under a running call storm: kill -9 the service, Redis and the broker, each in turn.

After each: every accepted call is an incident's call or a dead letter, and no unit was
assigned twice (reconciled from Redis and the audit streams, and printed).
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import register_scripts
from dispatch.units import Unit, register_unit
from loadtests.reconcile import Reconciliation, reconcile
from service.servers import EmbeddedServer
from tests.helpers import eventually, ready
from tests.reliability.conftest import ServiceProcess
from tests.reliability.gateway import Gateway

CALLS = 240
RATE_PER_S = 80


def storm_call(n: int) -> bytes:
    """Call n of the storm: its own place (no duplicates), graded, in East London."""
    return json.dumps({
        "call_id": f"fault-{n:04d}", "received_at": datetime.now(UTC).isoformat(),
        "source": "999",
        "location": {"lon": 0.05 + (n % 20) * 0.004, "lat": 51.54 + (n // 20) * 0.003},
        "incident_type": "concern_for_welfare", "grade": "S" if n % 4 else "I",
    }).encode()  # fmt: skip


async def storm_with_fault(
    settings: Settings, fault: Callable[[], Awaitable[None]]
) -> Reconciliation:
    """Publish the storm, strike with `fault` a third of the way in, then reconcile."""
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    scripts = register_scripts(redis)
    for i in range(40):
        unit = Unit(callsign=f"EA{i:02d}", area="EA", base_lon=0.05 + (i % 10) * 0.01,
                    base_lat=51.55 + (i // 10) * 0.01)  # fmt: skip
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    await eventually(lambda: ready(f"http://127.0.0.1:{settings.http_port}"), within_s=30)
    # A broker persists sessions on its autosave tick: a service connected for a moment longer
    # than that (as any real one has been) is subscribed again after a broker crash.
    await asyncio.sleep(2.5)
    topics = Topics(settings.topic_root)
    ids = [f"fault-{n:04d}" for n in range(CALLS)]
    gateway = Gateway(settings)
    try:
        for n in range(CALLS):
            if n == CALLS // 3:
                await fault()
            await gateway.publish(topics.calls_in, storm_call(n))
            await asyncio.sleep(1 / RATE_PER_S)
    finally:
        await gateway.close()

    async def settled() -> bool:
        try:
            return len((await reconcile(redis, ids)).lost_calls) == 0
        except RedisError:  # our own client meets the restarted Redis: ask again
            return False

    try:
        await eventually(settled, within_s=60)
    finally:
        result = await reconcile(redis, ids)
        print(f"\n{result.summary()}")
        await redis.aclose()
    return result


@pytest.mark.slow
async def test_kill_9_the_service_mid_storm(
    fault_settings: Settings, service: ServiceProcess
) -> None:
    async def crash_and_restart() -> None:
        service.kill()
        await asyncio.sleep(1.0)
        service.start()

    result = await storm_with_fault(fault_settings, crash_and_restart)
    assert result.lost_calls == ()
    assert result.calls_recorded + result.dead_letters >= CALLS
    assert result.double_dispatches == 0
    assert result.assignments > 0


@pytest.mark.slow
async def test_kill_9_redis_and_restart_it_from_its_aof(
    fault_settings: Settings, service: ServiceProcess,
    own_servers: tuple[EmbeddedServer, EmbeddedServer],
) -> None:  # fmt: skip
    redis_server, _ = own_servers

    async def crash_and_restart() -> None:
        redis_server.kill()
        await asyncio.sleep(1.0)
        redis_server.start()

    result = await storm_with_fault(fault_settings, crash_and_restart)
    assert result.lost_calls == ()
    assert result.double_dispatches == 0


@pytest.mark.slow
async def test_kill_the_broker_and_restart_it(
    fault_settings: Settings, service: ServiceProcess,
    own_servers: tuple[EmbeddedServer, EmbeddedServer],
) -> None:  # fmt: skip
    _, broker = own_servers

    async def crash_and_restart() -> None:
        broker.kill()
        await asyncio.sleep(1.0)
        broker.start()

    result = await storm_with_fault(fault_settings, crash_and_restart)
    assert result.lost_calls == ()
    assert result.double_dispatches == 0


@pytest.mark.slow
async def test_sigterm_drains_and_exits_cleanly_mid_storm(
    fault_settings: Settings, service: ServiceProcess
) -> None:
    codes: list[int] = []

    async def stop_and_restart() -> None:
        codes.append(await asyncio.to_thread(service.terminate))
        service.start()

    result = await storm_with_fault(fault_settings, stop_and_restart)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit says what ended it.
    assert codes in ([0], [-signal.SIGTERM])
    assert '"event": "runtime_stopped"' in service.log.read_text()
    assert result.lost_calls == ()
    assert result.double_dispatches == 0
