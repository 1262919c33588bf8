"""Conveying EIDOs to partner agencies, durably: each send (one partner, one channel: MQTT, or
its HTTPS endpoint) is kept in Redis until the partner has it, so a restart resumes it. A failed
send is tried again after a bounded backoff; after CAD_INTEROP_MAX_ATTEMPTS it is dead-lettered
once, with the reason, and kept, tried every CAD_INTEROP_PARKED_RETRY_S until the partner is
back: nothing is dropped. One replica attempts a send at a time (a lease per send).

A transfer is recorded in its area's keys, the outbox in its own: no one script can do both. So
the transfer route first notes its intent (`intend`), then records the hand-over, then queues the
sends, which clears the intent. An intent left behind (the request cut short between the two)
is settled by the round once it is older than a lease: queued if the incident was handed to that
partner, dropped if the hand-over was refused or never made."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cad.errors import CadError
from cad.keys import InteropKeys
from cad.logs import log
from cad.outages import outage_of
from cad.publisher import Publisher
from cad.settings import Settings
from cad.topics import Topics
from interop.eido.issue import EidoIssuer
from interop.https import DeliveryError, PartnerEndpoints
from interop.partners import Partner, Partners
from transport.deadletter import reject
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.interop")

_KEYS = InteropKeys()
# Sends attempted in one round; the rest wait for the next (a second away by default).
_ROUND = 50
MQTT, HTTPS = "mqtt", "https"


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed send is tried again, and when it is dead-lettered."""

    first_s: float
    max_s: float
    max_attempts: int
    parked_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.interop_retry_first_s, settings.interop_retry_max_s,
                   settings.interop_max_attempts, settings.interop_parked_retry_s)  # fmt: skip

    def delay_s(self, attempts: int) -> float:
        """The wait after the `attempts`th failure: doubling up to the max, then the parked
        interval once dead-lettered."""
        if attempts >= self.max_attempts:
            return self.parked_s
        return float(min(self.first_s * 2 ** (attempts - 1), self.max_s))


class Outbox:
    """The pending sends, and the round that attempts those due (a supervised periodic task)."""

    def __init__(
        self, redis: AsyncRedis, publisher: Publisher, topics: Topics, partners: Partners,
        policy: RetryPolicy, endpoints: PartnerEndpoints, eidos: EidoIssuer, *, lease_s: float,
    ) -> None:  # fmt: skip
        self._redis = redis
        self._publisher = publisher
        self._topics = topics
        self._partners = partners
        self._policy = policy
        self._endpoints = endpoints
        self._eidos = eidos
        self._lease_ms = int(lease_s * 1000)
        self._owner = uuid.uuid4().hex

    async def intend(self, partner: Partner, ref: str) -> None:
        """Note that incident `ref` is being handed to `partner` (before it is recorded)."""
        await self._redis.hset(_KEYS.intents, ref, f"{partner.id} {_now_ms()}")

    async def enqueue(self, partner: Partner, ref: str, document: dict[str, Any]) -> None:
        """Keep the sends of `document` to `partner` (MQTT, and its endpoint if it has one),
        due now, clearing the transfer's intent in the same transaction."""
        body = json.dumps(document, separators=(",", ":"))
        channels = [MQTT, HTTPS] if partner.endpoint else [MQTT]
        now_ms = _now_ms()
        ids = [f"{partner.id}:{channel}:{uuid.uuid4().hex}" for channel in channels]
        async with self._redis.pipeline(transaction=True) as pipe:
            for send_id, channel in zip(ids, channels, strict=True):
                pipe.hset(_KEYS.send(send_id), mapping={
                    "partner": partner.id, "channel": channel, "ref": ref, "document": body,
                    "attempts": 0, "queued_ms": now_ms,
                })  # fmt: skip
                pipe.zadd(_KEYS.outbox, {send_id: now_ms})
            pipe.hdel(_KEYS.intents, ref)
            await pipe.execute()
        log(logger, logging.INFO, "eido_queued", incident_ref=ref, partner=partner.id,
            channels=channels)  # fmt: skip

    async def send_due(self) -> int:
        """Settle the intents left behind, then attempt every send that is due and not held by
        another replica; how many went."""
        await self.settle_intents()
        due = await self._redis.zrangebyscore(_KEYS.outbox, "-inf", _now_ms(), start=0, num=_ROUND)
        delivered = 0
        for send_id in due:
            if not await self._redis.set(
                _KEYS.sending(send_id), self._owner, nx=True, px=self._lease_ms
            ):
                continue
            try:
                delivered += await self._attempt(send_id)
            finally:
                await self._redis.delete(_KEYS.sending(send_id))
        return delivered

    async def settle_intents(self) -> None:
        """Queue the sends of each transfer recorded but never queued; drop the intents of
        transfers refused or never made (each older than a lease, held by one replica)."""
        older_than = _now_ms() - self._lease_ms
        for ref, value in (await self._redis.hgetall(_KEYS.intents)).items():
            partner_id, _, since = value.partition(" ")
            if int(since or 0) > older_than:
                continue
            lock = _KEYS.sending(f"intent:{ref}")
            if not await self._redis.set(lock, self._owner, nx=True, px=self._lease_ms):
                continue
            try:
                partner = self._partners.by_id(partner_id)
                document = None if partner is None else await self._eidos.handed_to(ref, partner)
                if partner is None or document is None:
                    await self._redis.hdel(_KEYS.intents, ref)
                    log(logger, logging.INFO, "transfer_intent_dropped", incident_ref=ref,
                        partner=partner_id)  # fmt: skip
                else:
                    await self.enqueue(partner, ref, document)
            finally:
                await self._redis.delete(lock)

    async def _attempt(self, send_id: str) -> int:
        fields = await self._redis.hgetall(_KEYS.send(send_id))
        if not fields:
            await self._redis.zrem(_KEYS.outbox, send_id)
            return 0
        try:
            await self._deliver(fields)
        except DeliveryError as exc:
            await self._failed(send_id, fields, str(exc))
            return 0
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(_KEYS.outbox, send_id)
            pipe.delete(_KEYS.send(send_id))
            await pipe.execute()
        log(logger, logging.INFO, "eido_delivered", incident_ref=fields["ref"],
            partner=fields["partner"], channel=fields["channel"],
            attempts=int(fields["attempts"]) + 1)  # fmt: skip
        return 1

    async def _deliver(self, fields: dict[str, str]) -> None:
        partner = self._partners.by_id(fields["partner"])
        if partner is None:
            raise DeliveryError(f"partner {fields['partner']!r} is no longer configured")
        body = fields["document"].encode()
        if fields["channel"] == MQTT:
            try:
                await self._publisher.publish(self._topics.interop_out(partner.id), body, qos=1)
            except Exception as exc:
                if outage_of(exc) is None and not isinstance(exc, CadError):
                    raise
                raise DeliveryError(f"mqtt: {exc}") from exc
            return
        await self._endpoints.post(partner, body)

    async def _failed(self, send_id: str, fields: dict[str, str], reason: str) -> None:
        attempts = int(fields["attempts"]) + 1
        policy = self._policy
        if attempts == policy.max_attempts:
            await reject(
                self._redis, self._publisher, self._topics,
                topic=self._topics.interop_out(fields["partner"]),
                payload=fields["document"].encode(),
                reason=(f"{fields['channel']} to partner {fields['partner']}: not delivered after "
                        f"{attempts} attempts ({reason}); kept, tried again every "
                        f"{policy.parked_s:g}s"),
            )  # fmt: skip
        next_ms = _now_ms() + int(policy.delay_s(attempts) * 1000)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(_KEYS.send(send_id), mapping={"attempts": attempts, "last_error": reason})
            pipe.zadd(_KEYS.outbox, {send_id: next_ms}, xx=True)
            await pipe.execute()
        log(logger, logging.WARNING, "eido_not_delivered", incident_ref=fields["ref"],
            partner=fields["partner"], channel=fields["channel"], attempts=attempts,
            error=reason)  # fmt: skip


def _now_ms() -> int:
    return int(time.time() * 1000)
