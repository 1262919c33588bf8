"""Idempotency keys on POSTs: a retried request with the same `Idempotency-Key` gets the first
answer again instead of doing the work twice. Stored in Redis, so every replica honours it."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cad.logs import log
from transport.redis_types import AsyncRedis

HEADER = b"idempotency-key"
_VALID_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
# While the first request is still running, a retry is told so rather than run in parallel.
_IN_PROGRESS_TTL_S = 60
# Refused before any work was done: a retry with a (new) token must run for real.
_NOT_KEPT = frozenset({401, 403, 429})

logger = logging.getLogger("cad.api")


class IdempotencyMiddleware:
    """Replays the stored response of a POST whose Idempotency-Key was seen with the same body."""

    def __init__(self, app: ASGIApp, *, ttl_s: int = 24 * 3600) -> None:
        self.app = app
        self.ttl_s = ttl_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key_of(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _VALID_KEY.match(key):
            await _json(send, 422, _detail("must be 1-128 letters, digits or _.:-"))
            return
        body = await _read_body(receive)
        parts = [scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b"")]
        fingerprint = hashlib.sha256(b"\0".join([*parts, body])).hexdigest()
        redis = scope["app"].state.runtime.redis
        # Keys are per token: nobody replays another's answer, nor one refused for lack of a token.
        store = f"cad:idempotency:{_holder(scope)}:{key}"
        claimed = await redis.set(
            store, json.dumps({"fingerprint": fingerprint}), nx=True, ex=_IN_PROGRESS_TTL_S
        )
        if not claimed:
            await _answer_repeat(send, await redis.get(store), fingerprint)
            return
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b"", "started": False}

        async def replay_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["started"] = True
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            try:
                await self._keep(redis, store, fingerprint, captured)
            except RedisError as exc:
                if not captured["started"]:
                    raise  # answered as the outage it is (service/api/error_answers.py)
                # The client has its answer; a retry within the in-progress TTL is told 409.
                log(logger, logging.WARNING, "idempotency_record_failed", path=scope["path"],
                    status=captured["status"], error=str(exc))  # fmt: skip

    async def _keep(
        self, redis: AsyncRedis, store: str, fingerprint: str, captured: dict[str, Any]
    ) -> None:
        if captured["status"] < 500 and captured["status"] not in _NOT_KEPT:
            record = {
                "fingerprint": fingerprint,
                "status": captured["status"],
                "body": captured["body"].decode("utf-8", errors="replace"),
            }
            await redis.set(store, json.dumps(record), ex=self.ttl_s)
        else:
            await redis.delete(store)  # a failure may be retried for real


def _key_of(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    for name, value in scope.get("headers", []):
        if name == HEADER:
            return str(value.decode("latin-1"))
    return None


def _holder(scope: Scope) -> str:
    """A short digest of the request's Authorization header (the token), never the token."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return hashlib.sha256(value).hexdigest()[:16]
    return "anonymous"


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer_repeat(send: Send, stored: str | None, fingerprint: str) -> None:
    record = json.loads(stored) if stored else {}
    if record.get("fingerprint") != fingerprint:
        await _json(send, 422, _detail("was used before with a different request"))
    elif "status" not in record:
        await _json(send, 409, _detail("the first request with this key is still running"))
    else:
        await _raw(send, record["status"], record["body"].encode(), replayed=True)


def _detail(message: str) -> dict[str, Any]:
    # The shape of FastAPI's own 422 (HTTPValidationError), which the OpenAPI document shows.
    error = {"loc": ["header", "Idempotency-Key"], "msg": message, "type": "value_error"}
    return {"detail": [error]}


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    await _raw(send, status, json.dumps(body).encode(), replayed=False)


async def _raw(send: Send, status: int, body: bytes, *, replayed: bool) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
