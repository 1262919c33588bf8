"""Dead letters: every rejected input message is published with its reason and kept in Redis."""

from __future__ import annotations

import logging
import re

from cad.errors import MqttUnavailableError
from cad.events import DeadLetter, utcnow
from cad.logs import log
from cad.publisher import Publisher
from cad.topics import Topics
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.deadletter")

DEADLETTER_STREAM = "cad:deadletter"
_EXCERPT_CHARS = 256
# Caller data must not outlive its retention in a dead letter: its values are masked, even in
# broken JSON (an unterminated string runs to the end) and whatever the value's type.
_CALLER_FIELD = re.compile(r'("(?:cli|text|caller_number)"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]+)')
_SCRUB_CHARS = 4096
# The stream is the reconciliation record for rejected input; it is capped, not unbounded.
STREAM_MAXLEN = 100_000


def dead_letter(*, topic: str, payload: bytes, reason: str) -> DeadLetter:
    """The dead letter for a rejected message: its topic, the reason and an excerpt."""
    return DeadLetter(
        topic=topic,
        reason=reason,
        payload_excerpt=scrub_excerpt(payload),
        received_at=utcnow(),
    )


async def reject(
    redis: AsyncRedis,
    publisher: Publisher,
    topics: Topics,
    *,
    topic: str,
    payload: bytes,
    reason: str,
) -> DeadLetter:
    """Record a rejected message in the dead-letter stream, then publish it on the topic."""
    letter = dead_letter(topic=topic, payload=payload, reason=reason)
    body = letter.model_dump_json()
    # Redis first: it is the record reconciliation counts, and once it is written the message
    # may be acknowledged; the MQTT copy is for whoever listens, and is not worth a resend.
    await redis.xadd(DEADLETTER_STREAM, {"letter": body}, maxlen=STREAM_MAXLEN, approximate=True)
    log(logger, logging.WARNING, "message_rejected", topic=topic, reason=reason)
    try:
        await publisher.publish(topics.deadletter, body.encode(), qos=1)
    except MqttUnavailableError as exc:
        log(logger, logging.WARNING, "deadletter_not_published", topic=topic, error=str(exc))
    return letter


def scrub_excerpt(payload: bytes) -> str:
    """The start of a payload with the caller's number and free text masked."""
    text = payload[:_SCRUB_CHARS].decode("utf-8", errors="replace")
    return _CALLER_FIELD.sub(r'\1"[redacted]"', text)[:_EXCERPT_CHARS]
