"""The MDT's link over real mosquitto: a persistent session keeps taskings for an MDT that is
away, and the broker's last will marks a unit whose link died."""

from __future__ import annotations

import contextlib
import socket

from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from service.demo.mdt_client import mdt_client
from tests.helpers import eventually, mqtt_client, running_runtime
from tests.mdt.conftest import Grant
from tests.mdt.support import add_units, call, receive_tasking, report
from transport.mqtt_client import MqttError

KEYS = AreaKeys("CW")


async def test_a_tasking_reaches_an_mdt_that_connects_only_after_it_was_sent(
    settings: Settings, redis: Redis, scripts: DispatchScripts, grant: Grant
) -> None:
    await add_units(redis, scripts, ("PS10", -0.1300, 51.5100))
    (_, password) = (await grant("PS10"))["PS10"]
    topics = Topics(settings.topic_root)
    async with running_runtime(settings), mqtt_client(settings, "gw") as gateway:
        # The MDT was on once and subscribed: the broker keeps its session from then on.
        async with mdt_client(settings.mqtt_url, topics, "PS10", password) as mdt:
            await mdt.subscribe(topics.tasking("PS10"), qos=1)
        await gateway.publish(topics.calls_in, call("away-1"), qos=1)
        await eventually(lambda: _status_is(redis, "PS10", "assigned"))
        async with mdt_client(settings.mqtt_url, topics, "PS10", password) as mdt:
            tasking = await receive_tasking(mdt)  # no subscribe: the session has it
            await mdt.publish(
                topics.status("PS10"), report(UnitStatus.EN_ROUTE, tasking.tasking_id), qos=1
            )
            await eventually(lambda: _status_is(redis, "PS10", "en_route"))
    assert tasking.call_id == "away-1"


async def test_a_last_will_marks_the_unit_link_lost_until_it_reports_again(
    settings: Settings, redis: Redis, scripts: DispatchScripts, grant: Grant
) -> None:
    await add_units(redis, scripts, ("LW10", -0.1300, 51.5100))
    (_, password) = (await grant("LW10"))["LW10"]
    topics = Topics(settings.topic_root)
    async with running_runtime(settings):
        mdt = mdt_client(settings.mqtt_url, topics, "LW10", password)
        await mdt.__aenter__()
        # The car drives into a tunnel: the connection dies without an MQTT DISCONNECT.
        mdt_socket = mdt.socket()
        assert isinstance(mdt_socket, socket.socket)
        mdt_socket.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(MqttError):
            await mdt.__aexit__(None, None, None)
        await eventually(lambda: _status_is(redis, "LW10", "link_lost"))
        assert await redis.zscore(KEYS.available, "LW10") is None
        async with mdt_client(settings.mqtt_url, topics, "LW10", password) as back:
            await back.publish(topics.status("LW10"), report(UnitStatus.AVAILABLE), qos=1)
            await eventually(lambda: _status_is(redis, "LW10", "available"))
    assert await redis.zscore(KEYS.available, "LW10") is not None
    audit = [f for _, f in await redis.xrange(KEYS.audit) if f["type"] == "unit_status"]
    assert [(f["previous"], f["status"]) for f in audit] == [
        ("available", "link_lost"),
        ("link_lost", "available"),
    ]


async def _status_is(redis: Redis, callsign: str, status: str) -> bool:
    return bool(await redis.hget(KEYS.unit_status, callsign) == status)
