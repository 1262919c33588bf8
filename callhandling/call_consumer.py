"""The MQTT call-event consumer: validate at the edge, dead-letter bad input, accept the rest."""

from __future__ import annotations

import asyncio
import logging
import time

import aiomqtt
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cad.deadletter import reject
from cad.events import CallEvent
from cad.logs import log
from cad.metrics import ServiceMetrics
from cad.payloads import Rejection, parse_payload
from cad.publisher import Publisher
from cad.tasks import TaskPool, payload_bytes
from cad.topics import Topics
from callhandling.call_claims import CallIdConflictError
from callhandling.intake import CallIntake

logger = logging.getLogger("cad.calls")

_MAX_RETRY_DELAY_S = 2.0


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
        metrics: ServiceMetrics,
    ) -> None:
        self._intake = intake
        self._redis = redis
        self._publisher = publisher
        self._topics = topics
        self._max_payload_bytes = max_payload_bytes
        self._pool = pool
        self._metrics = metrics

    async def handle(self, message: aiomqtt.Message) -> asyncio.Task[None]:
        """Route handler: parse now, do the work in the pool; the task acknowledges the message."""
        payload = payload_bytes(message.payload)
        topic = message.topic.value
        parsed = parse_payload(CallEvent, payload, max_bytes=self._max_payload_bytes)
        if isinstance(parsed, Rejection):
            return await self._pool.spawn(
                self._reject(topic, payload, parsed.reason), name="reject"
            )
        return await self._pool.spawn(self._accept(parsed, topic, payload), name=parsed.call_id)

    async def _reject(self, topic: str, payload: bytes, reason: str) -> None:
        await reject(
            self._redis, self._publisher, self._topics, topic=topic, payload=payload, reason=reason
        )

    async def _accept(self, event: CallEvent, topic: str, payload: bytes) -> None:
        # While Redis is away the call stays unacknowledged at the broker and is retried here;
        # the full pool then stops the link reading, so the rest queue at the broker, not here.
        actor = f"mqtt:{event.source.value}"
        delay = 0.05
        started = time.perf_counter()
        while True:
            try:
                try:
                    result = await self._intake.accept(event, actor=actor)
                except CallIdConflictError as exc:
                    # A different call under a used call id changes nothing: a dead letter (a
                    # Redis error on the way is retried like any other), then acknowledged.
                    await self._reject(topic, payload, str(exc))
                    return
                self._metrics.observe_call(
                    "mqtt", result.outcome.value, time.perf_counter() - started
                )
                return
            except (RedisError, OSError) as exc:
                log(logger, logging.WARNING, "call_retry", call_id=event.call_id, error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_RETRY_DELAY_S)
