"""Broker security, checked from the client side: logins are required, and a unit's credentials
reach only its own topics."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from tests.helpers import eventually, mqtt_client, running_runtime
from tests.mdt.conftest import Grant
from tests.mdt.support import add_units, call, nothing_arrives, receive_tasking, report
from transport.broker_security import GATEWAY_USER, development_credentials
from transport.mqtt import BrokerAddress
from transport.mqtt_client import Client, MqttCodeError, ProtocolVersion

KEYS = AreaKeys("CW")


@pytest.mark.parametrize(
    "login", [None, ("AC99", "wrong"), (GATEWAY_USER, "wrong")], ids=["anonymous", "bad", "gw"]
)
async def test_the_broker_refuses_a_client_without_a_valid_login(
    settings: Settings, login: tuple[str, str] | None
) -> None:
    broker = BrokerAddress.from_url(settings.mqtt_url)
    client = Client(
        broker.host, broker.port, identifier="intruder",
        username=None if login is None else login[0], password=None if login is None else login[1],
        protocol=ProtocolVersion.V5, timeout=3,
    )  # fmt: skip
    with pytest.raises(MqttCodeError) as refused:
        async with client:
            pass
    assert refused.value.rc in (0x86, 0x87)  # bad user name or password / not authorised


async def test_unit_a_can_neither_read_b_s_taskings_nor_publish_b_s_status(
    settings: Settings, redis: Redis, scripts: DispatchScripts, grant: Grant
) -> None:
    await add_units(redis, scripts, ("AC10", -0.1300, 51.5100), ("AC11", -0.1900, 51.5300))
    logins = await grant("AC10", "AC11")
    gateway_login = (
        GATEWAY_USER,
        development_credentials(settings.mdt_credential_secret).gateway_password,
    )
    topics = Topics(settings.topic_root)
    async with (
        running_runtime(settings),
        mqtt_client(settings, "mdt-ac10", login=logins["AC10"]) as owner,
        mqtt_client(settings, "mdt-ac11", login=logins["AC11"]) as snoop,
        mqtt_client(settings, "gateway", login=gateway_login) as gateway,
    ):
        await owner.subscribe(topics.tasking("AC10"), qos=1)
        # mosquitto 2.0 grants the subscription and checks the ACL on every delivery instead.
        await snoop.subscribe(topics.tasking("AC10"), qos=1)
        await snoop.subscribe(f"{topics.root}/units/+/tasking", qos=1)
        await gateway.publish(topics.calls_in, call("acl-1"), qos=1)
        tasking = await receive_tasking(owner)
        assert await nothing_arrives(snoop, within_s=0.5)
        # AC11 claims AC10 is en route, and the gateway claims AC11 is off duty: both dropped.
        forged = report(UnitStatus.EN_ROUTE, tasking.tasking_id)
        await snoop.publish(topics.status("AC10"), forged, qos=1)
        await gateway.publish(topics.status("AC11"), report(UnitStatus.OFF_DUTY), qos=1)
        # What the units may do, they can: AC11's own report is applied after the forgeries.
        await snoop.publish(topics.status("AC11"), report(UnitStatus.BUSY), qos=1)
        await eventually(lambda: _status_is(redis, "AC11", "busy"))
        await asyncio.sleep(0.3)
    assert await redis.hget(KEYS.unit_status, "AC10") == "assigned"
    changes = [f for _, f in await redis.xrange(KEYS.audit) if f["type"] == "unit_status"]
    assert [(f["callsign"], f["status"]) for f in changes] == [("AC11", "busy")]


async def _status_is(redis: Redis, callsign: str, status: str) -> bool:
    return bool(await redis.hget(KEYS.unit_status, callsign) == status)
