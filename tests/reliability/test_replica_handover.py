"""Two replicas, one intake: a replica that stops hands the calls over at once, and one that dies
is replaced within the intake lease; no call waits in a stopped replica's session."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from cad.settings import Settings
from cad.topics import Topics
from service.servers import free_port
from tests.helpers import eventually, mqtt_client, ready
from tests.reliability.conftest import ServiceProcess
from transport.broker_security import SERVICE_USER, url_with_login
from transport.mqtt_client import Client

LEASE_S = 3.0
LOGINS = (SERVICE_USER, f"{SERVICE_USER}-2")


def _replica(settings: Settings, login: str, tmp_path: Path) -> ServiceProcess:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
    env.update(
        CAD_REDIS_URL=settings.redis_url, CAD_MQTT_URL=url_with_login(settings.mqtt_url, login),
        CAD_TOPIC_ROOT=settings.topic_root, CAD_HTTP_PORT=str(port), CAD_LOG_LEVEL="INFO",
        CAD_INTAKE_LEASE_S=str(LEASE_S), CAD_AVL_WORKERS="0",
        # Every call here opens its own incident: nothing is linked away.
        CAD_AUTO_LINK_SCORE="1.0",
    )  # fmt: skip
    process = ServiceProcess(env, tmp_path / f"{login}.log", http=f"http://127.0.0.1:{port}")
    process.start()
    return process


@pytest.fixture
def replicas(settings: Settings, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    """Two `cad serve` processes, each with its own login, on one topic root."""
    both = {login: _replica(settings, login, tmp_path) for login in LOGINS}
    yield both
    for process in both.values():
        process.kill()


async def _holder(redis: Redis) -> str | None:
    holder: str | None = await redis.get("cad:lease:intake")
    return holder


def _call(n: int) -> bytes:
    # Spread over Westminster, every one its own place.
    return (
        f'{{"call_id": "handover-{n}", "received_at": "{datetime.now(UTC).isoformat()}", '
        f'"source": "999", "location": {{"lon": {-0.15 + (n % 20) * 0.003}, '
        f'"lat": {51.49 + (n // 20) * 0.003}}}, "incident_type": "concern_for_welfare"}}'
    ).encode()


async def _send(gateway: Client, topics: Topics, numbers: range, pause_s: float = 0.0) -> None:
    for n in numbers:
        await gateway.publish(topics.calls_in, _call(n), qos=1)
        await asyncio.sleep(pause_s)


async def _recorded(redis: Redis, prefix: str) -> int:
    return len(await redis.keys(f"cad:{{*}}:call:{prefix}*"))


async def _start_both(redis: Redis, replicas: dict[str, ServiceProcess]) -> tuple[str, str]:
    """Both ready; the login of the one holding the intake, and the other's."""
    for process in replicas.values():
        await eventually(functools.partial(ready, process.http), within_s=60)
    await eventually(lambda: _is_held_by(redis, *LOGINS), within_s=10)
    holder = await _holder(redis)
    assert holder is not None
    return holder, next(login for login in LOGINS if login != holder)


async def _is_held_by(redis: Redis, *logins: str) -> bool:
    return await _holder(redis) in logins


@pytest.mark.slow
async def test_a_replica_stopped_hands_its_calls_over_at_once(
    settings: Settings, redis: Redis, replicas: dict[str, ServiceProcess]
) -> None:
    holder, other = await _start_both(redis, replicas)
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "gateway") as gateway:
        await _send(gateway, topics, range(50))
        stopping = asyncio.create_task(asyncio.to_thread(replicas[holder].terminate))
        stopped_at = time.monotonic()
        await _send(gateway, topics, range(50, 100), pause_s=0.01)
        # uvicorn shuts down gracefully, then re-raises the signal so the exit says what ended it.
        assert await stopping == -signal.SIGTERM
        await eventually(lambda: _is_held_by(redis, other), within_s=LEASE_S)
        taken_over_s = time.monotonic() - stopped_at
        # Well inside the lease: a replica that stops releases it, it does not let it lapse.
        await eventually(lambda: _all_recorded(redis, "handover-", 100), within_s=LEASE_S)
    print(f"\nstopped replica {holder}: {other} held the intake {taken_over_s:.2f}s after SIGTERM")
    assert taken_over_s < LEASE_S


@pytest.mark.slow
async def test_a_replica_killed_is_replaced_within_the_lease_and_loses_nothing(
    settings: Settings, redis: Redis, replicas: dict[str, ServiceProcess]
) -> None:
    holder, other = await _start_both(redis, replicas)
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "gateway") as gateway:
        await _send(gateway, topics, range(50))
        replicas[holder].kill()
        killed_at = time.monotonic()
        # Published while nobody holds the intake: they wait in its session at the broker.
        await _send(gateway, topics, range(50, 100))
        await eventually(lambda: _all_recorded(redis, "handover-", 100), within_s=3 * LEASE_S)
        recovered_s = time.monotonic() - killed_at
    print(f"\nkilled replica {holder}: all 100 calls recorded {recovered_s:.2f}s after the kill")
    assert await _holder(redis) == other
    # The lease lapses, the second replica's next poll takes it (a third of the lease), connects.
    assert recovered_s < LEASE_S * 4 / 3 + 2.0, recovered_s


async def _all_recorded(redis: Redis, prefix: str, calls: int) -> bool:
    return await _recorded(redis, prefix) == calls
