"""The MQTT call-event consumer: validate at the edge, dead-letter bad input, accept the rest."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from cad.events import CallEvent, utcnow
from cad.payloads import Rejection, parse_payload
from cad.publisher import Publisher
from cad.topics import Topics
from callhandling.intake import CallIntake
from transport.deadletter import reject
from transport.durable import until_settled
from transport.mqtt_client import Message
from transport.redis_types import AsyncRedis
from transport.tasks import TaskPool

logger = logging.getLogger("cad.calls")


class CallMetrics(Protocol):
    """Where the consumer counts the calls it took in (the service's Prometheus metrics)."""

    def observe_call(self, channel: str, outcome: str, seconds: float) -> None: ...


class CallEventConsumer:
    """Handles messages from `cad/calls/in`."""

    def __init__(
        self,
        intake: CallIntake,
        redis: AsyncRedis,
        publisher: Publisher,
        topics: Topics,
        *,
        max_payload_bytes: int,
        pool: TaskPool,
        metrics: CallMetrics,
        give_up_after_s: float,
    ) -> None:
        self._intake = intake
        self._redis = redis
        self._publisher = publisher
        self._topics = topics
        self._max_payload_bytes = max_payload_bytes
        self._pool = pool
        self._metrics = metrics
        self._give_up_after_s = give_up_after_s

    async def handle(self, message: Message) -> asyncio.Task[None]:
        """Route handler: parse now, do the work in the pool; the task acknowledges the message."""
        payload = message.payload
        topic = message.topic.value
        parsed = parse_payload(CallEvent, payload, max_bytes=self._max_payload_bytes)
        if isinstance(parsed, Rejection):
            return await self._pool.spawn(
                self._reject(topic, payload, parsed.reason), name="reject"
            )
        refused = self._intake.clock_bounds.refusal(
            "received_at", parsed.received_at, now=utcnow()
        ) or self._intake.catalogue.type_refusal(parsed.incident_type)
        if refused is not None:
            return await self._pool.spawn(self._reject(topic, payload, refused), name="reject")
        return await self._pool.spawn(self._accept(topic, payload, parsed), name=parsed.call_id)

    async def _reject(self, topic: str, payload: bytes, reason: str) -> None:
        await reject(
            self._redis, self._publisher, self._topics, topic=topic, payload=payload, reason=reason
        )

    async def _accept(self, topic: str, payload: bytes, event: CallEvent) -> None:
        # Acknowledged to the broker only once this returns: recorded, or dead-lettered. While
        # Redis is away the call waits here unacknowledged, and the full pool stops the link
        # reading, so the rest queue at the broker, not here.
        actor = f"mqtt:{event.source.value}"
        started = time.perf_counter()

        async def record() -> None:
            result = await self._intake.accept(event, actor=actor)
            self._metrics.observe_call("mqtt", result.outcome.value, time.perf_counter() - started)

        async def give_up(reason: str) -> None:
            await self._reject(topic, payload, reason)

        await until_settled(
            record, give_up=give_up, give_up_after_s=self._give_up_after_s,
            context={"call_id": event.call_id},
        )  # fmt: skip
