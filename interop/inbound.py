"""EIDOs arriving from partners on `cad/interop/in/{agency}` (QoS 1, acknowledged once applied
or dead-lettered): parsed and validated at the edge, a malformed or schema-invalid one
dead-lettered with the schema error's path, the rest applied (partner_updates.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from cad.logs import log
from cad.publisher import Publisher
from cad.topics import Topics
from interop.eido.reading import read_partner_eido
from interop.eido.validation import eido_errors
from interop.partner_updates import PartnerUpdates
from interop.partners import Partner, Partners
from transport.deadletter import reject
from transport.durable import until_settled
from transport.mqtt_client import Message
from transport.redis_types import AsyncRedis
from transport.tasks import TaskPool

logger = logging.getLogger("cad.interop")


class PartnerInbound:
    """Handles messages from `cad/interop/in/+`."""

    def __init__(
        self, updates: PartnerUpdates, redis: AsyncRedis, publisher: Publisher, topics: Topics,
        partners: Partners, *, our_agency: str, max_bytes: int, pool: TaskPool,
        give_up_after_s: float,
    ) -> None:  # fmt: skip
        self._updates = updates
        self._redis = redis
        self._publisher = publisher
        self._topics = topics
        self._partners = partners
        self._our_agency = our_agency
        self._max_bytes = max_bytes
        self._pool = pool
        self._give_up_after_s = give_up_after_s

    async def handle(self, message: Message) -> asyncio.Task[None]:
        """Route handler: check now, apply in the pool; the task acknowledges the message."""
        topic, payload = message.topic.value, message.payload
        agency = self._topics.agency_of(topic)
        partner = self._partners.by_id(agency) if agency is not None else None
        if partner is None:
            refusal = f"topic: {agency!r} is not a configured partner"
            return await self._pool.spawn(self._reject(topic, payload, refusal), name="reject")
        document = self._document(payload)
        if not isinstance(document, str) and document["updatedByAgencyReference"]["$ref"] != (
            partner.eido_agency
        ):
            # A partner speaks only for itself: its login may write only its own topic, and
            # what it sends must be its own update.
            document = (
                f"eido: $.updatedByAgencyReference: not {partner.id}'s agency id "
                f"{partner.eido_agency!r}"
            )
        if isinstance(document, str):
            return await self._pool.spawn(self._reject(topic, payload, document), name="reject")
        return await self._pool.spawn(self._apply(topic, payload, partner, document), name="eido")

    def _document(self, payload: bytes) -> dict[str, Any] | str:
        """The valid EIDO in `payload`, or why it is refused (a schema error with its path)."""
        if len(payload) > self._max_bytes:
            return f"payload: {len(payload)} bytes exceeds the limit of {self._max_bytes}"
        try:
            document = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            return f"payload: not valid JSON ({exc})"
        errors = eido_errors(document)
        if errors:
            return f"eido: {errors[0]}"
        valid: dict[str, Any] = document
        return valid

    async def _reject(self, topic: str, payload: bytes, reason: str) -> None:
        await reject(
            self._redis, self._publisher, self._topics, topic=topic, payload=payload, reason=reason
        )

    async def _apply(
        self, topic: str, payload: bytes, partner: Partner, document: dict[str, Any]
    ) -> None:
        async def apply() -> None:
            facts = read_partner_eido(document, our_agency=self._our_agency)
            incident = await self._updates.apply(partner, facts)
            log(logger, logging.INFO, "eido_applied", partner=partner.id,
                incident_ref=incident.ref)  # fmt: skip

        async def give_up(reason: str) -> None:
            await self._reject(topic, payload, reason)

        await until_settled(
            apply, give_up=give_up, give_up_after_s=self._give_up_after_s,
            context={"partner": partner.id},
        )  # fmt: skip
