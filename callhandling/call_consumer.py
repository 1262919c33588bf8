"""The MQTT call-event consumer: validate at the edge, dead-letter bad input, accept the rest."""

from __future__ import annotations

import asyncio
import logging

import aiomqtt
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cad.deadletter import reject
from cad.events import CallEvent
from cad.logs import log
from cad.payloads import Rejection, parse_payload
from cad.publisher import Publisher
from cad.tasks import TaskPool, payload_bytes
from cad.topics import Topics
from callhandling.intake import CallIntake

logger = logging.getLogger("cad.calls")

# Redis may be restarting: keep trying a call for this long before recording it as unprocessed.
_RETRY_FOR_S = 30.0


class CallEventConsumer:
    """Handles messages from `cad/calls/in`."""

    def __init__(
        self,
        intake: CallIntake,
        redis: Redis,
        publisher: Publisher,
        topics: Topics,
        *,
        max_payload_bytes: int,
        pool: TaskPool,
    ) -> None:
        self._intake = intake
        self._redis = redis
        self._publisher = publisher
        self._topics = topics
        self._max_payload_bytes = max_payload_bytes
        self._pool = pool

    async def handle(self, message: aiomqtt.Message) -> None:
        """Route handler: parse now, do the work in the pool."""
        payload = payload_bytes(message.payload)
        topic = message.topic.value
        parsed = parse_payload(CallEvent, payload, max_bytes=self._max_payload_bytes)
        if isinstance(parsed, Rejection):
            await self._pool.spawn(self._reject(topic, payload, parsed.reason), name="reject")
        else:
            await self._pool.spawn(self._accept(topic, payload, parsed), name=parsed.call_id)

    async def _reject(self, topic: str, payload: bytes, reason: str) -> None:
        await reject(
            self._redis, self._publisher, self._topics, topic=topic, payload=payload, reason=reason
        )

    async def _accept(self, topic: str, payload: bytes, event: CallEvent) -> None:
        actor = f"mqtt:{event.source.value}"
        delay, waited = 0.05, 0.0
        while True:
            try:
                await self._intake.accept(event, actor=actor)
                return
            except RedisError as exc:
                if waited >= _RETRY_FOR_S:
                    await self._reject(topic, payload, f"unprocessed: Redis unavailable ({exc})")
                    return
                log(logger, logging.WARNING, "call_retry", call_id=event.call_id, error=str(exc))
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 2.0)
