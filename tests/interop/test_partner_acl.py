"""A partner agency's broker login may read only the EIDOs sent to it and write only its own
answers: the generated ACL's lines, and a real mosquitto enforcing them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cad.settings import get_settings
from cad.topics import Topics
from service.servers import EMBEDDED_LOGINS, EmbeddedServer, mosquitto
from tests.helpers import mqtt_client, next_message
from tests.mdt.support import nothing_arrives
from transport.broker_security import (
    BrokerCredentials,
    LoginRole,
    acl_text,
    development_credentials,
    partner_logins,
)
from transport.mqtt import BrokerAddress


def test_a_partner_s_grants_are_its_own_two_topics() -> None:
    (las,) = partner_logins(["las"])
    assert (las.username, las.role, las.agency) == ("cad-partner-las", LoginRole.PARTNER, "las")
    text = acl_text("cad", partner_logins(["las", "lfb"]))
    block = text.split("user cad-partner-las\n", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines() == [
        "topic read cad/interop/out/las",
        "topic write cad/interop/in/las",
    ]
    assert "topic write cad/interop/in/lfb" in text
    assert "cad/#" not in block


@pytest.fixture
def partner_broker(tmp_path: Path) -> Iterator[tuple[EmbeddedServer, BrokerCredentials]]:
    """A broker of this test's own whose logins include two partners'."""
    credentials = development_credentials("partner-acl-test")
    server = mosquitto(
        tmp_path, credentials=credentials, acl_root="cad",
        logins=(*EMBEDDED_LOGINS, *partner_logins(["las", "lfb"])),
    )  # fmt: skip
    server.start()
    yield server, credentials
    server.stop()


async def test_on_the_broker_a_partner_reaches_only_its_own_topics(
    partner_broker: tuple[EmbeddedServer, BrokerCredentials],
) -> None:
    server, credentials = partner_broker
    settings = get_settings(mqtt_url=server.url)
    topics = Topics("cad")
    password = credentials.password_for(LoginRole.PARTNER)
    address = BrokerAddress.from_url(server.url)
    service_login = (address.username or "", address.password or "")
    async with (
        mqtt_client(settings, "service", login=service_login) as service,
        mqtt_client(settings, "las", login=("cad-partner-las", password)) as las,
    ):
        await service.subscribe(topics.all_interop_in, qos=1)
        await las.subscribe(f"{topics.root}/interop/out/+", qos=1)
        await service.publish(topics.interop_out("lfb"), b"for lfb", qos=1)
        await service.publish(topics.interop_out("las"), b"for las", qos=1)
        assert (await next_message(las)).payload == b"for las"
        # Speaking for another agency, or as a gateway, goes nowhere.
        await las.publish(topics.interop_in("lfb"), b"as lfb", qos=1)
        await las.publish(topics.calls_in, b"a call", qos=1)
        await las.publish(topics.interop_in("las"), b"from las", qos=1)
        answer = await next_message(service)
        assert (answer.topic.value, answer.payload) == (topics.interop_in("las"), b"from las")
        assert await nothing_arrives(las, 0.3)
