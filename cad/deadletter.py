"""Dead letters: every rejected input message is published with its reason and kept in Redis."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from cad.events import DeadLetter, utcnow
from cad.logs import log
from cad.publisher import Publisher
from cad.topics import Topics

logger = logging.getLogger("cad.deadletter")

DEADLETTER_STREAM = "cad:deadletter"
_EXCERPT_CHARS = 256
# The stream is the reconciliation record for rejected input; it is capped, not unbounded.
_STREAM_MAXLEN = 100_000


async def reject(
    redis: Redis, publisher: Publisher, topics: Topics, *, topic: str, payload: bytes, reason: str
) -> DeadLetter:
    """Record a rejected message in the dead-letter stream, then publish it on the topic."""
    letter = DeadLetter(
        topic=topic,
        reason=reason,
        payload_excerpt=payload[:_EXCERPT_CHARS].decode("utf-8", errors="replace"),
        received_at=utcnow(),
    )
    body = letter.model_dump_json()
    # Redis first: it is the record reconciliation counts; the MQTT copy is for whoever listens.
    await redis.xadd(DEADLETTER_STREAM, {"letter": body}, maxlen=_STREAM_MAXLEN, approximate=True)
    await publisher.publish(topics.deadletter, body.encode(), qos=1)
    log(logger, logging.WARNING, "message_rejected", topic=topic, reason=reason)
    return letter
