"""What domain code needs of MQTT to send a message: one method, whatever the client."""

from __future__ import annotations

from typing import Protocol


class Publisher(Protocol):
    """Anything that can publish an MQTT message (the service's MQTT link)."""

    async def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None: ...
