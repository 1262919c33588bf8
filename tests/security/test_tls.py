"""TLS to Redis and to the broker, through the service's own client-building code."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from cad.settings import get_settings
from service.servers import EmbeddedServer, TlsFiles, mosquitto, redis_server
from tests.helpers import next_message
from tests.security.certs import make_tls_files
from transport.broker_security import development_credentials
from transport.mqtt import BrokerAddress, new_client
from transport.mqtt_client import MqttError
from transport.mqtt_logins import own_login
from transport.redis_client import open_redis


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    """A fresh CA and a server certificate for 127.0.0.1."""
    return make_tls_files(tmp_path)


@pytest.fixture
def tls_redis(tmp_path: Path, tls_files: TlsFiles) -> Iterator[EmbeddedServer]:
    """A redis-server that speaks only TLS."""
    (tmp_path / "redis").mkdir()
    server = redis_server(tmp_path / "redis", tls=tls_files)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tls_broker(tmp_path: Path, tls_files: TlsFiles) -> Iterator[EmbeddedServer]:
    """A mosquitto whose only listener speaks TLS, with the service's login and ACL."""
    (tmp_path / "mosquitto").mkdir()
    server = mosquitto(
        tmp_path / "mosquitto", credentials=development_credentials("tls"), tls=tls_files
    )
    server.start()
    yield server
    server.stop()


async def test_the_service_reaches_redis_over_tls_trusting_the_configured_ca(
    tls_redis: EmbeddedServer, tls_files: TlsFiles
) -> None:
    assert tls_redis.url.startswith("rediss://cad-service:")
    settings = get_settings(redis_url=tls_redis.url, redis_tls_ca_file=tls_files.ca)
    client = open_redis(settings)
    try:
        await client.set("cad:tls-check", "1")
        assert await client.get("cad:tls-check") == "1"
    finally:
        await client.aclose()


@pytest.mark.parametrize("scheme", ["redis", "rediss-untrusted"])
async def test_redis_refuses_plain_text_and_an_untrusted_certificate(
    tls_redis: EmbeddedServer, scheme: str
) -> None:
    url = tls_redis.url
    if scheme == "redis":
        url = url.replace("rediss://", "redis://")
    # Without the CA the system's trust store applies, which never signed our test CA.
    client = open_redis(get_settings(redis_url=url, network_timeout_s=2.0))
    try:
        with pytest.raises((RedisConnectionError, TimeoutError)):
            await client.ping()
    finally:
        await client.aclose()


async def test_the_service_reaches_the_broker_over_tls_trusting_the_configured_ca(
    tls_broker: EmbeddedServer, tls_files: TlsFiles
) -> None:
    assert tls_broker.url.startswith("mqtts://cad-service:")
    settings = get_settings(mqtt_url=tls_broker.url, mqtt_tls_ca_file=tls_files.ca)
    assert BrokerAddress.from_url(settings.mqtt_url).tls
    topic = f"cad/tls-check-{uuid.uuid4().hex[:8]}"  # the service ACL grants cad/#
    async with new_client(
        settings, own_login(settings.mqtt_url, "tls-check"), persistent=False
    ) as client:
        await client.subscribe(topic, qos=1)
        await client.publish(topic, b"over tls", qos=1)
        message = await next_message(client)
    assert message.payload == b"over tls"


# paho leaves the socket of a failed TLS handshake for the garbage collector to close.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_the_broker_refuses_a_client_that_does_not_trust_its_certificate(
    tls_broker: EmbeddedServer,
) -> None:
    settings = get_settings(mqtt_url=tls_broker.url, network_timeout_s=2.0)
    with pytest.raises(MqttError):
        async with new_client(
            settings, own_login(settings.mqtt_url, "tls-untrusted"), persistent=False
        ):
            pass


@pytest.mark.parametrize(
    ("url", "port", "tls"),
    [
        ("mqtt://h", 1883, False),
        ("mqtts://h", 8883, True),
        ("ssl://u:p@h:9000", 9000, True),
        ("tcp://h:1884", 1884, False),
    ],
)
def test_the_broker_address_knows_when_to_use_tls(url: str, port: int, tls: bool) -> None:
    address = BrokerAddress.from_url(url)
    assert (address.port, address.tls) == (port, tls)


def test_a_bad_broker_url_is_refused_without_showing_its_password() -> None:
    with pytest.raises(ValueError, match=r"\*\*\*") as refused:
        BrokerAddress.from_url("http://cad:secret-pw@h:1")
    assert "secret-pw" not in str(refused.value)
