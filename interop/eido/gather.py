"""Reading what our EIDO of an incident says out of Redis (the adapter before export.py): its
calls, its units and where each stands, its remarks, the agencies on either side."""

from __future__ import annotations

from cad.events import CallSource
from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys, GlobalKeys
from callhandling.incident_service import IncidentService
from interop.eido.facts import Agency, CallFact, IncidentFacts, NoteFact, UnitFact
from interop.partners import Partners
from transport.redis_types import AsyncRedis


async def gather_facts(
    redis: AsyncRedis, incidents: IncidentService, incident: IncidentRecord, partners: Partners
) -> IncidentFacts:
    """The facts of `incident` for its EIDO: calls (no caller data), units, remarks, and the
    partner it was handed to (a force not among the partners is named as given) or came from."""
    calls = [
        CallFact(c["call_id"], int(c["received_ms"]), c.get("source", ""))
        for c in await incidents.calls(incident)
        if c.get("call_id") and c.get("received_ms")
    ]
    chronology = await incidents.chronology(incident)
    notes = [
        NoteFact(entry["id"], int(entry.get("ts_ms") or _stream_ms(entry["id"])), entry["text"])
        for entry in chronology
        if entry.get("type") == "remark" and entry.get("text")
    ]
    stamps = [
        incident.created_ms, incident.dispatched_ms, incident.on_scene_ms, incident.cleared_ms,
        incident.closed_ms, incident.transferred_ms, incident.partner_updated_ms,
        *(_stream_ms(e["id"]) for e in chronology),
    ]  # fmt: skip
    return IncidentFacts(
        incident=incident,
        calls=tuple(calls),
        units=tuple(await _units(redis, incident)),
        notes=tuple(notes),
        updated_ms=max(s for s in stamps if s is not None),
        receiving=_receiving(incident, partners),
        originating=_originating(incident, partners),
    )


async def _units(redis: AsyncRedis, incident: IncidentRecord) -> list[UnitFact]:
    """Each unit sent and its status, `cleared` once it is committed elsewhere or to nothing."""
    if not incident.units:
        return []
    areas = await redis.hmget(GlobalKeys().unit_area, list(incident.units))
    async with redis.pipeline(transaction=False) as pipe:
        for callsign, area in zip(incident.units, areas, strict=True):
            keys = AreaKeys(area or incident.area)
            pipe.hget(keys.unit_status, callsign)
            pipe.hget(keys.unit_incident, callsign)
        replies = await pipe.execute()
    found = []
    for i, callsign in enumerate(incident.units):
        status, on = replies[2 * i], replies[2 * i + 1]
        found.append(UnitFact(callsign, status if on == incident.ref and status else "cleared"))
    return found


def _receiving(incident: IncidentRecord, partners: Partners) -> Agency | None:
    if incident.transfer_force is None:
        return None
    partner = partners.named(incident.transfer_force)
    if partner is not None:
        return partner.agency
    slug = "".join(c if c.isalnum() else "-" for c in incident.transfer_force.casefold())
    return Agency(f"{slug.strip('-')}.unlisted", incident.transfer_force, "police")


def _originating(incident: IncidentRecord, partners: Partners) -> Agency | None:
    """The partner an imported incident came from (a partner updating one of ours is not)."""
    if incident.source != CallSource.PARTNER or incident.partner_agency is None:
        return None
    partner = partners.by_id(incident.partner_agency)
    return partner.agency if partner is not None else None


def _stream_ms(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])
