"""A call gateway for the fault tests: it reconnects and resends, as a real one does when the
broker goes, until the broker takes each call (its PUBACK); on a broker tier
(`CAD_MQTT_BROKERS`) it moves to the next broker when its own fails."""

from __future__ import annotations

import asyncio
import contextlib

from cad.settings import Settings
from tests.helpers import mqtt_client
from transport.broker_tier import BrokerRotation, broker_urls
from transport.mqtt_client import Client, MqttError

# Ten a second for a minute: longer than any broker restart a test makes.
_TRIES = 600


class Gateway:
    """Publishes call events QoS 1, each until acknowledged."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._brokers = BrokerRotation(broker_urls(settings.mqtt_url, settings.mqtt_brokers))
        self._client: Client | None = None

    async def publish(self, topic: str, payload: bytes) -> None:
        """Publish until acknowledged (the call id makes a repeat change nothing)."""
        for _ in range(_TRIES):
            try:
                if self._client is None:
                    on = self._settings.model_copy(update={"mqtt_url": self._brokers.current})
                    client = mqtt_client(on, "fault-gateway")
                    await client.__aenter__()
                    self._client = client
                await self._client.publish(topic, payload, qos=1, timeout=5)
                return
            except MqttError:
                await self.close()
                self._brokers.failed()
                await asyncio.sleep(0.1)
        raise AssertionError("the broker never came back")

    async def close(self) -> None:
        """Disconnect, if connected."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(MqttError):
                await client.__aexit__(None, None, None)
