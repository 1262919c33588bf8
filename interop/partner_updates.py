"""Applying a partner's EIDO here (the adapter after reading.py): an update of one of our
incidents (its status, units attending, notes), or its own incident that needs police, opened
here (or updated, when it came before) keeping its reference."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cad.errors import NotFoundError
from cad.events import CallEvent, CallSource, Grade
from cad.incident_record import IncidentRecord
from cad.keys import InteropKeys
from callhandling.incidents import find_incident
from callhandling.intake import CallIntake
from interop.eido.reading import PartnerIncident
from interop.lua.partner_update import partner_update
from interop.partners import Partner
from transport.redis_types import AsyncRedis
from transport.scripts import ScriptClient

_KEYS = InteropKeys()
# As long as a remark may be (service/api/incident_log_schemas.py), less the partner's name.
_NOTE_CHARS = 1_800


@dataclass(frozen=True)
class PartnerUpdates:
    """Applies partners' EIDOs; every step is idempotent, so a redelivered one changes nothing."""

    redis: AsyncRedis
    scripts: ScriptClient
    intake: CallIntake
    # How long the partner's reference leads to the incident opened for it (caller data's).
    retention_s: int

    async def apply(self, partner: Partner, facts: PartnerIncident) -> IncidentRecord:
        """Apply `facts` from `partner`; the incident here it concerns."""
        actor = f"partner:{partner.id}"
        incident = await self._incident(partner, facts, actor=actor)
        # A partner's note is plain text on our log, as long as a remark may be.
        notes = tuple(replace(n, text=n.text[:_NOTE_CHARS]) for n in facts.notes)
        update = await partner_update(
            self.scripts, area=incident.area, ref=incident.ref, partner=partner.id,
            partner_name=partner.name, reference=facts.incident_id, status=facts.status,
            units=facts.units, notes=notes, stamp_ms=facts.updated_ms, actor=actor,
            now_ms=int(time.time() * 1000),
        )  # fmt: skip
        if update.outcome == "missing":
            raise NotFoundError(f"eido: incident {incident.ref!r} is no longer held here")
        found = await find_incident(self.redis, incident.ref)
        return found or incident

    async def _incident(
        self, partner: Partner, facts: PartnerIncident, *, actor: str
    ) -> IncidentRecord:
        """Ours it names, else the one opened for it before, else a new one from its facts."""
        key = _KEYS.partner_ref(partner.id, facts.incident_id)
        ref = facts.ours or await self.redis.get(key)
        if ref is not None:
            found = await find_incident(self.redis, ref)
            if found is None:
                raise NotFoundError(f"eido: $.$id: incident {ref!r} is not held here")
            return found
        event = CallEvent(
            call_id=_call_id(partner, facts), source=CallSource.PARTNER,
            received_at=datetime.fromtimestamp(facts.started_ms / 1000, UTC),
            location=facts.place(), grade=_police_grade(partner, facts),
            incident_type=facts.incident_type
            if self.intake.catalogue.type_refusal(facts.incident_type) is None else None,
        )  # fmt: skip
        # Never linked to a nearby incident of ours by itself: a dispatcher decides that. The
        # intake is idempotent by call id: recorded again (a redelivery), it is a replay.
        result = await self.intake.accept(event, actor=actor, auto_link=False)
        # Kept as long as the call's own record (its id's claim expires with it too).
        await self.redis.set(key, result.incident.ref, ex=self.retention_s)
        return result.incident


def _police_grade(partner: Partner, facts: PartnerIncident) -> Grade | None:
    """A police partner's grade is a police response grade; an ambulance's or fire brigade's
    priority is not one: its incident lands in the queue ungraded, for a call handler."""
    return facts.grade if partner.agency_type.split(".")[0] == "police" else None


def _call_id(partner: Partner, facts: PartnerIncident) -> str:
    """The call id an imported incident is recorded under: one per partner incident, so that
    recording it again is a replay (the intake is idempotent by call id)."""
    digest = hashlib.sha256(f"{partner.id} {facts.incident_id}".encode()).hexdigest()[:24]
    return f"eido.{partner.id}.{digest}"
