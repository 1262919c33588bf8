"""Our incident as an EIDO document (a dict ready for JSON): pure, from IncidentFacts.

Each data component carries NENA's prologue ($id, lastUpdateTimeStamp, updatedByAgencyReference);
ids of ours are stable, so a partner receiving the same incident again updates what it has."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from interop.eido.facts import Agency, IncidentFacts, NoteFact, UnitFact
from interop.eido.ids import call_id_urn, incident_id
from interop.eido.pidf import pidf_lo
from interop.eido.vocabulary import PRIORITY, incident_status, unit_status

EIDO_VERSION = "1.0"
# The service that issues the EIDO (its issuing element) within our agency's domain.
_ELEMENT = "cad"
_OUR_ROLES = ["CallReceiving", "Dispatching"]
_JSON_LD = {"@vocab": "./JSON-LD_Contexts/EmergencyIncidentDataObjectType.jsonld"}
# A data component's prologue, by its id and when it last changed (ms).
Prologue = Callable[[str, int], dict[str, Any]]


def iso_ms(ms: int) -> str:
    """An RFC 3339 UTC timestamp with milliseconds, as EIDO's date-time fields take."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def export_eido(facts: IncidentFacts, *, agency: Agency) -> dict[str, Any]:
    """The EIDO of one incident as `agency` (this force) issues it."""
    incident = facts.incident
    ours = agency.agency_id
    root_id = incident_id(incident.ref, ours)

    def prologue(component_id: str, ms: int) -> dict[str, Any]:
        return {
            "$id": component_id,
            "lastUpdateTimeStamp": iso_ms(ms),
            "updatedByAgencyReference": {"$ref": ours},
        }

    location_id = f"{root_id}:location"
    notes = [_note(prologue, root_id, note) for note in facts.notes]
    units = [_unit(prologue, root_id, unit, facts, ours) for unit in facts.units]
    document: dict[str, Any] = {
        **prologue(root_id, facts.updated_ms),
        "eidoVersion": EIDO_VERSION,
        "issuingElementIdentification": f"{_ELEMENT}.{ours}",
        "incidentComponent": _incident(prologue, facts, root_id, location_id, notes),
        "callComponent": [
            {
                **prologue(call_id_urn(call.call_id, ours), call.received_ms),
                "standardPrimaryCallType": "emergency",
                "localCallType": call.source,
                "direction": "incoming",
                "callStartTimestamp": iso_ms(call.received_ms),
                "callStateRegistryText": "callEnded",
                "locationReference": [{"$ref": location_id}],
                "agencyReference": [{"$ref": ours}],
            }
            for call in facts.calls
        ],
        "agencyComponent": _agencies(prologue, facts, agency),
        "locationComponent": [
            {
                **prologue(location_id, facts.updated_ms),
                "locationTypeDescriptionRegistryText": "Incident",
                "locationByValue": pidf_lo(incident.location, root_id),
                "locationDescriptionText": f"dispatch area {incident.area}",
            }
        ],
        "@context": _JSON_LD,
    }
    if units:
        document["emergencyResourceComponent"] = units
        document["dispatchComponent"] = [
            {
                **prologue(f"{root_id}:dispatch", incident.dispatched_ms or facts.updated_ms),
                "agencyReference": {"$ref": ours},
                "emergencyResourceReference": [{"$ref": u["$id"]} for u in units],
            }
        ]
    if notes:
        document["notesComponent"] = notes
    links = _links(prologue, facts, root_id)
    if links:
        document["linkComponent"] = links
    return document


def _links(prologue: Prologue, facts: IncidentFacts, root_id: str) -> list[dict[str, Any]]:
    """The partners' own references to the incident: the force it was handed to, the agency
    it was imported from."""
    incident = facts.incident
    found = []
    for reference, agency, reason, ms in (
        (incident.transfer_reference, facts.receiving, "transferred", incident.transferred_ms),
        (incident.partner_reference, facts.originating, "imported", incident.created_ms),
    ):
        if reference and reference != root_id and agency is not None:
            found.append({
                **prologue(f"{root_id}:link:{reason}", ms or facts.updated_ms),
                "incidentTrackingIdentifier": reference,
                "linkDirectionCode": "RELATED",
                "involvedAgencyReference": {"$ref": agency.agency_id},
                "transactionReasonText": reason,
            })  # fmt: skip
    return found


def _incident(
    prologue: Prologue, facts: IncidentFacts, root_id: str, location_id: str, notes: list[Any]
) -> dict[str, Any]:
    incident = facts.incident
    component: dict[str, Any] = {
        **prologue(f"{root_id}:incident", facts.updated_ms),
        "incidentTypeCommonRegistryText": incident.incident_type or "unknown",
        "incidentStatusInternalText": [incident.status],
        "incidentStatusCommonRegistryText": [incident_status(incident.status)],
        "internalIncidentId": incident.ref,
        "locationReference": [{"$ref": location_id}],
        "beatOrDispatchGroupText": incident.area,
    }
    if incident.incident_type:
        component["incidentTypeInternalCode"] = incident.incident_type
    if incident.grade is not None:
        component["incidentPriorityInternalText"] = incident.grade.value
        component["incidentCommonPriorityNumber"] = PRIORITY[incident.grade]
    if incident.close_code:
        component["dispositionComponent"] = [
            {
                **prologue(f"{root_id}:disposition", incident.closed_ms or facts.updated_ms),
                "dispositionCommonRegistryCode": incident.close_code,
                "dispositionPrimaryIndicator": True,
                **({"dispositionDescriptionText": incident.close_note} if incident.close_note
                   else {}),
            }
        ]  # fmt: skip
    if notes:
        component["notesReference"] = [{"$ref": n["$id"]} for n in notes]
    return component


def _agencies(prologue: Prologue, facts: IncidentFacts, agency: Agency) -> list[dict[str, Any]]:
    incident = facts.incident
    handed_over = incident.status == "transferred"
    agencies = [
        {
            **prologue(agency.agency_id, facts.updated_ms),
            "agencyRoleDescriptionRegistryText": _OUR_ROLES,
            "agencyType": [agency.agency_type],
            "incidentOwningAgencyIndicator": not handed_over and facts.originating is None,
        }
    ]
    for other, role, owns in (
        (facts.receiving, "Receiving", handed_over),
        (facts.originating, "Originating", facts.originating is not None),
    ):
        if other is not None:
            agencies.append({
                **prologue(other.agency_id, facts.updated_ms),
                "agencyRoleDescriptionRegistryText": [role],
                "agencyType": [other.agency_type],
                "incidentOwningAgencyIndicator": owns,
            })  # fmt: skip
    return agencies


def _unit(
    prologue: Prologue, root_id: str, unit: UnitFact, facts: IncidentFacts, ours: str
) -> dict[str, Any]:
    return {
        **prologue(f"{unit.callsign}@{ours}", facts.updated_ms),
        "emergencyResourceTypeCommonRegistryText": "police",
        "emergencyResourceName": unit.callsign,
        "primaryUnitStatusRegistryText": unit_status(unit.status),
        "unitStatusInternal": [unit.status],
        "secondaryUnitStatusRegistryText": [],
        "resourceAttributeRegistryText": [],
        "agentReference": [],
        "activeOnIncidentId": root_id,
    }


def _note(prologue: Prologue, root_id: str, note: NoteFact) -> dict[str, Any]:
    # notesActionComments is HTML5: the remark's text, escaped.
    return {
        **prologue(f"{root_id}:note:{note.note_id}", note.ts_ms),
        "notesActionComments": html.escape(note.text),
    }
