"""Issuing our incidents' EIDOs (the adapter around gather.py and export.py): for the API, and
for the outbox when it finishes a transfer whose request was cut short."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cad.incident_record import IncidentRecord, IncidentStatus
from callhandling.incident_service import IncidentService
from callhandling.incidents import find_incident
from interop.eido.export import export_eido
from interop.eido.facts import Agency
from interop.eido.gather import gather_facts
from interop.partners import Partner, Partners
from transport.redis_types import AsyncRedis


@dataclass(frozen=True)
class EidoIssuer:
    """Reads an incident's facts and exports them as this force's EIDO."""

    redis: AsyncRedis
    incidents: IncidentService
    partners: Partners
    agency: Agency

    async def eido(self, incident: IncidentRecord) -> dict[str, Any]:
        """The EIDO of `incident` as it stands now."""
        facts = await gather_facts(self.redis, self.incidents, incident, self.partners)
        return export_eido(facts, agency=self.agency)

    async def handed_to(self, ref: str, partner: Partner) -> dict[str, Any] | None:
        """The EIDO of incident `ref` if it was handed over to `partner`, else None (refused,
        not yet, or gone)."""
        incident = await find_incident(self.redis, ref)
        if incident is None or incident.status != IncidentStatus.TRANSFERRED:
            return None
        if self.partners.named(incident.transfer_force or "") != partner:
            return None
        return await self.eido(incident)
