"""The broker tier's parts: its setting, the URLs of its brokers, an edge client's rotation, and
the service's link on two real mosquittos, one then both of them killed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from cad.errors import MqttUnavailableError
from cad.settings import Settings, get_settings
from service.servers import LOOPBACK, EmbeddedServer, mosquitto
from tests.helpers import eventually, mqtt_client, next_message
from transport.broker_tier import BrokerRotation, TierLink, broker_urls
from transport.mqtt_client import MqttError
from transport.mqtt_logins import MqttLogin


def test_the_tier_keeps_the_login_and_scheme_on_each_broker() -> None:
    url = "mqtts://cad-service:s3cret@ignored:8883"
    assert broker_urls(url, "b1:8883, b2:8884") == [
        "mqtts://cad-service:s3cret@b1:8883",
        "mqtts://cad-service:s3cret@b2:8884",
    ]
    assert broker_urls("mqtt://h:1883", "::1:1884") == ["mqtt://[::1]:1884"]
    assert broker_urls("mqtt://h:1883", "") == ["mqtt://h:1883"]


@pytest.mark.parametrize(
    ("brokers", "avl_workers", "reason"),
    [
        ("b1:1883,b2", 2, "broker 'b2' is not host:port"),
        ("b1:1883,b2:0", 2, "broker 'b2:0' is not host:port"),
        ("b1:1883,b1:1883", 2, "broker listed twice: b1:1883"),
        ("b1:1883,b2:1883", 1, "avl_workers: 1 cannot serve the 2 brokers"),
    ],
)
def test_a_tier_it_cannot_use_is_refused_naming_why(
    brokers: str, avl_workers: int, reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        get_settings(mqtt_brokers=brokers, avl_workers=avl_workers)


def test_no_avl_ingest_serves_any_tier() -> None:
    assert get_settings(mqtt_brokers="b1:1,b2:2,b3:3", avl_workers=0).avl_workers == 0


def test_an_edge_client_moves_to_the_next_broker_when_its_own_fails() -> None:
    rotation = BrokerRotation(["a", "b", "c"], start=1)
    seen = [rotation.current]
    for _ in range(3):
        rotation.failed()
        seen.append(rotation.current)
    assert seen == ["b", "c", "a", "b"]


@contextlib.contextmanager
def two_brokers(tmp_path: Path) -> Iterator[tuple[Settings, list[EmbeddedServer]]]:
    """Two mosquittos without logins, and settings naming both as the tier."""
    tier = []
    for n in range(2):
        (tmp_path / f"b{n}").mkdir()
        tier.append(mosquitto(tmp_path / f"b{n}"))
    try:
        for broker in tier:
            broker.start()
        brokers = ",".join(f"{LOOPBACK}:{b.port}" for b in tier)
        yield (
            get_settings(
                mqtt_url=tier[0].url, mqtt_brokers=brokers, avl_workers=2, network_timeout_s=1.0
            ),
            tier,
        )
    finally:
        for broker in tier:
            broker.stop()


async def test_the_service_publishes_on_every_broker_up_and_fails_only_with_none(
    tmp_path: Path,
) -> None:
    with two_brokers(tmp_path) as (settings, tier):
        link = TierLink(settings, MqttLogin(settings.mqtt_url, "tier-test"), [])
        running = asyncio.create_task(link.run())
        watchers = [
            mqtt_client(settings.model_copy(update={"mqtt_url": b.url}), f"w{n}")
            for n, b in enumerate(tier)
        ]
        try:
            for watcher in watchers:
                await watcher.__aenter__()
                await watcher.subscribe("t/#", qos=1)
            await link.publish("t/x", b"both")
            assert [(await next_message(w)).payload for w in watchers] == [b"both", b"both"]

            tier[0].kill()
            await link.publish("t/x", b"second only")
            assert (await next_message(watchers[1])).payload == b"second only"
            assert link.connected

            tier[1].kill()
            with pytest.raises(MqttUnavailableError):
                await link.publish("t/x", b"nowhere")

            async def down() -> bool:
                return not link.connected

            await eventually(down)
        finally:
            for watcher in watchers:
                with contextlib.suppress(MqttError):
                    await watcher.__aexit__(None, None, None)
            link.close()
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
