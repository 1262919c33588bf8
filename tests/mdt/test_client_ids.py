"""No login can take another's MQTT session: the broker binds each client id to its login.

With an MDT's credentials and the service's client id, a hostile client used to throw the
service off the broker; a unit connecting with another unit's id destroyed its queued taskings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from itertools import permutations

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from redis.asyncio import Redis

from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from tests.helpers import eventually, mqtt_client, next_message, running_runtime
from tests.mdt.conftest import Grant
from tests.mdt.support import TRAFALGAR, add_units, call
from transport.broker_security import (
    GATEWAY_USER,
    INTAKE_USER,
    MONITOR_USER,
    SERVICE_USER,
    avl_worker_login,
    development_credentials,
    numbered_login,
)
from transport.mqtt import NO_DELAY, BrokerAddress
from transport.mqtt_client import Client, MqttError, ProtocolVersion

CREDENTIALS = development_credentials("test-mdt-secret")
# Every kind of login but a unit's, with its password.
LOGINS = {
    "replica": (SERVICE_USER, CREDENTIALS.service_password),
    "intake": (INTAKE_USER, CREDENTIALS.service_password),
    "avl worker": (avl_worker_login(SERVICE_USER, 0), CREDENTIALS.service_password),
    "gateway": (GATEWAY_USER, CREDENTIALS.gateway_password),
    "monitor": (MONITOR_USER, CREDENTIALS.monitor_password),
    "load generator": (numbered_login("cad-loadtest", 63), CREDENTIALS.generator_password),
}


def _client(
    settings: Settings, login: tuple[str, str], identifier: str, *, persistent: bool = False
) -> Client:
    """A v5 client sending `identifier` as its id whatever its login (as a hostile one would)."""
    address = BrokerAddress.from_url(settings.mqtt_url)
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 3600 if persistent else 0
    return Client(
        address.host, address.port, identifier=identifier, username=login[0], password=login[1],
        protocol=ProtocolVersion.V5, clean_start=not persistent, properties=properties,
        timeout=5, socket_options=NO_DELAY,
    )  # fmt: skip


async def _still_connected(client: Client, topic: str) -> bool:
    """Whether the broker still serves the client: a QoS 1 publish gets its PUBACK (the broker
    acknowledges one that the ACL drops as well)."""
    try:
        await client.publish(topic, b"still here?", qos=1, timeout=3)
    except MqttError:
        return False
    return True


# Every ordered pair of two kinds (a login taking its own session back is a reconnect).
@pytest.mark.parametrize(("intruder", "victim"), list(permutations(sorted([*LOGINS, "unit"]), 2)))
async def test_no_login_can_take_another_s_client_id(
    settings: Settings, grant: Grant, victim: str, intruder: str
) -> None:
    logins = dict(LOGINS) | (await grant("ID01", "ID02"))
    logins["unit"] = logins["ID01"]
    victim_login = logins[victim] if victim != "unit" else logins["ID02"]
    probe = f"{settings.topic_root}/probe"
    async with _client(settings, victim_login, victim_login[0]) as held:
        # The intruder sends the victim's id, and again with the prefix MDTs used to send.
        for stolen in (victim_login[0], f"mdt-{victim_login[0]}"):
            async with _client(settings, logins[intruder], stolen):
                assert await _still_connected(held, probe), (intruder, stolen, victim)


async def test_a_unit_cannot_destroy_another_unit_s_queued_tasking(
    settings: Settings, grant: Grant
) -> None:
    logins = await grant("QT01", "QT02")
    topics = Topics(settings.topic_root)
    async with _client(settings, logins["QT02"], "mdt-QT02", persistent=True) as mdt:
        await mdt.subscribe(topics.tasking("QT02"), qos=1)
    # QT02's MDT is out of coverage; its tasking waits in its session at the broker.
    async with mqtt_client(settings, "service-stand-in") as service:
        await service.publish(topics.tasking("QT02"), b'{"tasking_id": "T-1"}', qos=1)
    for stolen in ("QT02", "mdt-QT02"):
        # QT01 (its own credentials) with QT02's id and a clean start: before, this wiped
        # QT02's session and the tasking in it.
        async with _client(settings, logins["QT01"], stolen):
            pass
    async with _client(settings, logins["QT02"], "mdt-QT02", persistent=True) as mdt:
        message = await next_message(mdt)
    assert message.payload == b'{"tasking_id": "T-1"}'


async def test_an_intruder_with_the_service_s_ids_neither_disconnects_it_nor_loses_a_call(
    settings: Settings,
    redis: Redis,
    scripts: DispatchScripts,
    grant: Grant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_units(redis, scripts, ("TK01", *TRAFALGAR))
    logins = await grant("TK01")
    topics = Topics(settings.topic_root)
    calls = 100
    stop = asyncio.Event()

    async def intrude() -> int:
        tries = 0
        while not stop.is_set():
            for stolen in (SERVICE_USER, INTAKE_USER, avl_worker_login(SERVICE_USER, 0)):
                with contextlib.suppress(MqttError):
                    async with _client(settings, logins["TK01"], stolen):
                        tries += 1
            await asyncio.sleep(0.02)
        return tries

    caplog.set_level(logging.INFO, logger="cad")
    async with running_runtime(settings), mqtt_client(settings, "gateway") as gateway:
        intruder = asyncio.create_task(intrude())
        for n in range(calls):
            await gateway.publish(topics.calls_in, call(f"takeover-{n}"), qos=1)
            await asyncio.sleep(0.01)
        await eventually(lambda: _calls_recorded(redis, calls), within_s=20)
        stop.set()
        tries = await intruder
    assert tries > 20
    events = [getattr(r, "fields", {}).get("client_id") for r in caplog.records
              if r.getMessage() == "mqtt_disconnected"]  # fmt: skip
    assert events == [], "the service was thrown off the broker"


async def _calls_recorded(redis: Redis, calls: int) -> bool:
    """Every call is recorded (one incident at the spot, the rest linked to it)."""
    return len(await redis.keys("cad:{*}:call:takeover-*")) == calls
