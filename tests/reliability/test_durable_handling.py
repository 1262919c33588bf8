"""A message is acknowledged to the broker only once its effect is durable in Redis or it is
dead-lettered with the reason: an outage is waited out, anything else retried, then refused.

Before, an MDT status report that met a Redis outage was acknowledged and dropped (units stayed
on scene after their crews reported available), and a call whose handler raised was acknowledged
unrecorded.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from cad.errors import ConflictError, MqttUnavailableError
from cad.events import StatusReport, UnitStatus
from cad.keys import AreaKeys
from cad.settings import Settings, get_settings
from cad.topics import Topics
from dispatch.scripts import register_scripts
from dispatch.units import Unit, register_unit
from service.servers import EmbeddedServer
from tests.helpers import eventually, mqtt_client, running_runtime
from tests.mdt.support import TRAFALGAR, call
from transport.deadletter import DEADLETTER_STREAM
from transport.durable import until_settled

KEYS = AreaKeys("CW")


@pytest.fixture
def own(own_servers: tuple[EmbeddedServer, EmbeddedServer]) -> Settings:
    """Settings for this test's own servers, which it may kill; failures give up after 1 s."""
    redis, broker = own_servers
    return get_settings(
        redis_url=redis.url, mqtt_url=broker.url, topic_root="durable/cad",
        message_give_up_s=1.0, network_timeout_s=2.0, avl_workers=0,
    )  # fmt: skip


@pytest.fixture
async def redis(own: Settings) -> AsyncIterator[Redis]:
    """A client of the test's own Redis."""
    client = Redis.from_url(own.redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def _unit(redis: Redis, callsign: str) -> None:
    unit = Unit(callsign=callsign, area="CW", base_lon=TRAFALGAR[0], base_lat=TRAFALGAR[1])
    await register_unit(redis, register_scripts(redis), unit, now_ms=1, actor="test")


def _report(status: UnitStatus) -> bytes:
    return StatusReport(status=status, ts=datetime.now(UTC)).model_dump_json().encode()


async def _status(redis: Redis, callsign: str) -> str | None:
    try:
        status: str | None = await redis.hget(KEYS.unit_status, callsign)
    except (OSError, ConnectionError):
        return None
    return status


@pytest.mark.slow
async def test_a_status_report_met_by_a_redis_outage_is_applied_when_redis_returns(
    own: Settings, own_servers: tuple[EmbeddedServer, EmbeddedServer], redis: Redis
) -> None:
    redis_server, _ = own_servers
    await _unit(redis, "DH01")
    topics = Topics(own.topic_root)
    async with running_runtime(own), mqtt_client(own, "mdt") as mdt:
        redis_server.kill()
        await mdt.publish(topics.status("DH01"), _report(UnitStatus.BUSY), qos=1)
        # Well past the 1 s give-up: an outage is waited out, never dead-lettered.
        await asyncio.sleep(2.5)
        redis_server.start()
        await eventually(lambda: _is(redis, "DH01", "busy"), within_s=15)
    assert await redis.xlen(DEADLETTER_STREAM) == 0


async def _is(redis: Redis, callsign: str, status: str) -> bool:
    try:
        return await _status(redis, callsign) == status
    except Exception:
        return False


async def test_a_report_that_keeps_failing_is_dead_lettered_with_its_reason_once(
    own: Settings, redis: Redis
) -> None:
    await _unit(redis, "DH02")
    # A defect, not an outage: the unit's status hash has become a string (WRONGTYPE).
    await redis.delete(KEYS.unit_status)
    await redis.set(KEYS.unit_status, "broken")
    topics = Topics(own.topic_root)
    async with running_runtime(own), mqtt_client(own, "mdt") as mdt:
        await mdt.publish(topics.status("DH02"), _report(UnitStatus.BUSY), qos=1)
        await eventually(lambda: _letters(redis, 1), within_s=10)
    ((_, fields),) = await redis.xrange(DEADLETTER_STREAM)
    reason = json.loads(fields["letter"])["reason"]
    assert reason.startswith("not processed within 1s: ResponseError: "), reason
    assert "WRONGTYPE" in reason
    # Acknowledged once dead-lettered: the next run is not handed it again.
    async with running_runtime(own):
        await asyncio.sleep(1.5)
    assert await redis.xlen(DEADLETTER_STREAM) == 1


async def _letters(redis: Redis, count: int) -> bool:
    return bool(await redis.xlen(DEADLETTER_STREAM) == count)


@pytest.mark.slow
async def test_a_call_still_waiting_out_an_outage_at_shutdown_goes_to_the_next_run(
    own: Settings, own_servers: tuple[EmbeddedServer, EmbeddedServer], redis: Redis
) -> None:
    redis_server, _ = own_servers
    await _unit(redis, "DH03")
    topics = Topics(own.topic_root)
    quick_stop = own.model_copy(update={"shutdown_grace_s": 1.0})
    async with running_runtime(quick_stop), mqtt_client(own, "gateway") as gateway:
        redis_server.kill()
        await gateway.publish(topics.calls_in, call("durable-1"), qos=1)
        await asyncio.sleep(1.0)
    # The runtime stopped with the call unrecorded: never acknowledged, so still the broker's.
    redis_server.start()
    async with running_runtime(own):
        await eventually(lambda: _recorded(redis, "durable-1"), within_s=15)


async def _recorded(redis: Redis, call_id: str) -> bool:
    try:
        return bool(await redis.exists(KEYS.call(call_id)))
    except Exception:
        return False


class _Flaky:
    """Work that fails `times` times with `error`, then succeeds."""

    def __init__(self, error: Exception, times: int) -> None:
        self.error, self.times, self.calls = error, times, 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error


async def _settle(work: _Flaky, give_up_after_s: float) -> list[str]:
    given_up: list[str] = []

    async def give_up(reason: str) -> None:
        given_up.append(reason)

    await until_settled(work, give_up=give_up, give_up_after_s=give_up_after_s, context={})
    return given_up


async def test_an_outage_is_waited_out_past_the_give_up_time() -> None:
    work = _Flaky(ConnectionRefusedError("redis down"), times=6)
    started = time.monotonic()
    assert await _settle(work, give_up_after_s=0.1) == []
    assert work.calls == 7
    assert time.monotonic() - started > 0.1


async def test_an_mqtt_outage_is_waited_out_too() -> None:
    work = _Flaky(MqttUnavailableError("broker down"), times=4)
    assert await _settle(work, give_up_after_s=0.05) == []


async def test_a_refusal_is_given_up_at_once_with_its_reason() -> None:
    work = _Flaky(ConflictError("call_id: recorded with another location"), times=99)
    assert await _settle(work, give_up_after_s=60) == ["call_id: recorded with another location"]
    assert work.calls == 1


async def test_a_defect_is_retried_then_given_up_naming_it() -> None:
    work = _Flaky(KeyError("units"), times=99)
    (reason,) = await _settle(work, give_up_after_s=0.2)
    assert reason == "not processed within 0.2s: KeyError: 'units'"
    assert work.calls > 2


async def test_a_defect_that_clears_in_time_is_not_given_up() -> None:
    work = _Flaky(LookupError("incident vanished"), times=2)
    assert await _settle(work, give_up_after_s=5) == []
