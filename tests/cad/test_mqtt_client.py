"""The asyncio MQTT client over paho's public API (transport/mqtt_client.py) against the session's
real broker: a wait past its timeout is an MqttError, which the link's reconnect loop and its
publish handle; a message arrives with its topic, payload and QoS; a client can be entered again."""

from __future__ import annotations

import asyncio

import pytest

from cad.settings import Settings
from tests.helpers import mqtt_client, next_message
from transport.mqtt_client import MqttError


async def test_a_publish_not_acknowledged_in_time_is_an_mqtt_error(settings: Settings) -> None:
    topic = f"{settings.topic_root}/test/timeout"
    async with mqtt_client(settings, "timeout") as client:
        # No PUBACK can come back within no time at all.
        with pytest.raises(MqttError, match="no PUBACK in time"):
            await client.publish(topic, b"x", qos=1, timeout=0)
        await client.publish(topic, b"x", qos=1)  # the connection is still good


async def test_a_message_arrives_with_its_topic_payload_and_qos(settings: Settings) -> None:
    topic = f"{settings.topic_root}/test/roundtrip"
    async with mqtt_client(settings, "roundtrip") as client:
        await client.subscribe(f"{settings.topic_root}/test/+", qos=1)
        await client.publish(topic, b"payload", qos=1)
        message = await next_message(client)
    assert (message.topic.value, message.payload, message.qos) == (topic, b"payload", 1)
    assert message.topic.matches(f"$share/group/{settings.topic_root}/test/+")
    assert not message.topic.matches(f"{settings.topic_root}/other/+")


async def test_a_client_can_be_entered_again_after_it_left(settings: Settings) -> None:
    topic = f"{settings.topic_root}/test/again"
    client = mqtt_client(settings, "again")
    async with client:
        await client.publish(topic, b"first", qos=1)
    with pytest.raises(MqttError):
        await client.publish(topic, b"between", qos=1)
    async with client:
        await client.subscribe(topic, qos=1)
        await client.publish(topic, b"second", qos=1)
        assert (await next_message(client)).payload == b"second"


async def test_a_burst_written_in_one_turn_arrives_whole_and_in_order(settings: Settings) -> None:
    # Publishes made in one turn of the loop go out together (corked: a burst of 30); more
    # than the socket's buffer holds (paho sends 20 at a time: 20 MB) waits for it to drain.
    topic = f"{settings.topic_root}/test/burst"
    big = bytes(1_000_000)
    async with (
        mqtt_client(settings, "burst-in", manual_ack=True) as receiver,
        mqtt_client(settings, "burst-out") as sender,
    ):
        await receiver.subscribe(topic, qos=1)
        payloads = [n.to_bytes(2, "big") + big for n in range(30)]
        await asyncio.gather(*(sender.publish(topic, p, qos=1) for p in payloads))
        got = []
        for _ in payloads:
            message = await next_message(receiver)
            got.append(message.payload)
            receiver.ack(message)
        assert got == payloads
        # The acknowledgements went out: the receiver's link still works both ways.
        await receiver.publish(topic, b"after", qos=1)
        assert (await next_message(receiver)).payload == b"after"
