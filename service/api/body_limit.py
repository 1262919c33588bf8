"""A request body size limit: an oversized body is refused with 413 before anything reads it."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cad.errors import CadError
from service.api.response_start import TrackedSend


class BodyTooLargeError(CadError):
    """The body grew past the limit while streaming in (no or a false Content-Length)."""


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` with 413, naming the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise BodyTooLargeError
            return message

        tracked = TrackedSend(send)
        try:
            await self.app(scope, counted, tracked)
        except BodyTooLargeError:
            if not tracked.started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        # The shape of a 422's field errors, which the OpenAPI document shows for 413 too.
        error = {"loc": ["body"], "msg": f"larger than {self.max_bytes} bytes", "type": "too_large"}
        detail = {"detail": [error]}
        body = json.dumps(detail).encode()
        await send({
            "type": "http.response.start", "status": 413,
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})
