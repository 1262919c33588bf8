"""CAP messages kept in Redis: each as JSON, indexed by when it was sent, and each message's one
successor (an update or the cancel), so that a chain never forks."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.errors import ConflictError, NotFoundError
from cad.keys import InteropKeys
from interop.cap.message import CapMessage

_KEYS = InteropKeys()


async def save_alert(redis: Redis, message: CapMessage, *, replacing: CapMessage | None) -> None:
    """Keep `message`; when it follows `replacing`, claim that one's successor first (409 if an
    update or cancel got there first: the chain goes on from the latest message only)."""
    if replacing is not None:
        taken = await redis.hsetnx(_KEYS.alert_successor, replacing.identifier, message.identifier)
        if not taken:
            raise ConflictError(
                f"id: alert {replacing.identifier} was updated or cancelled already; "
                "update or cancel its latest message"
            )
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(_KEYS.alert(message.identifier), message.model_dump_json())
        pipe.zadd(_KEYS.alerts, {message.identifier: message.sent_s * 1000})
        await pipe.execute()


async def read_alert(redis: Redis, identifier: str) -> CapMessage:
    """The message kept under `identifier` (404 if none)."""
    raw = await redis.get(_KEYS.alert(identifier))
    if raw is None:
        raise NotFoundError(f"id: no alert {identifier!r}")
    return CapMessage.model_validate_json(raw)
