"""An ASGI `send` that notes whether the response has started: a middleware that would answer
an error instead can do so only while no header has gone out."""

from __future__ import annotations

from starlette.types import Message, Send


class TrackedSend:
    """Forwards every message to `send`; `started` once the response's start has gone."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)
