"""A partner's EIDO (already valid against the schema) as the facts we act on: which incident
it is (one of ours it links to, or its own), its type, grade, place, status, units and notes.
Pure: interop/partner_updates.py applies them."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cad.errors import CadError
from cad.events import Grade, Location
from interop.eido.ids import our_ref
from interop.eido.pidf import read_pidf_lo
from interop.eido.vocabulary import GRADE_OF_PRIORITY

_TAG = re.compile(r"<[^>]*>")


class EidoUnusableError(CadError):
    """A valid EIDO that lacks what we need of it (a place for a new incident)."""


@dataclass(frozen=True)
class PartnerNote:
    """A note of the partner's: its id (what makes applying it idempotent) and its text."""

    note_id: str
    text: str


@dataclass(frozen=True)
class PartnerIncident:
    """What a partner's EIDO says."""

    incident_id: str
    updated_ms: int
    started_ms: int
    ours: str | None
    incident_type: str | None
    grade: Grade | None
    # The PIDF-LO of its place, read only when an incident is opened for it (an update of one
    # of ours needs none, and may carry a civic address we cannot place).
    location_pidf: str | None
    status: str
    units: tuple[str, ...]
    notes: tuple[PartnerNote, ...]

    def place(self) -> Location:
        """Where the incident is: needed to open one here."""
        if self.location_pidf is None:
            raise EidoUnusableError("eido: $.locationComponent: no location by value to open it at")
        return read_pidf_lo(self.location_pidf)


def read_partner_eido(document: dict[str, Any], *, our_agency: str) -> PartnerIncident:
    """The facts of a schema-valid EIDO; `ours` is our incident ref when it is one of ours (its
    own id, or a link to one)."""
    incident = document.get("incidentComponent") or {}
    tracking = [document["$id"], *(link["incidentTrackingIdentifier"]
                                   for link in document.get("linkComponent", []))]  # fmt: skip
    ours = next((r for r in (our_ref(t, our_agency) for t in tracking) if r is not None), None)
    updated = _ms(document["lastUpdateTimeStamp"])
    calls = document.get("callComponent", [])
    started = min((_ms(c["callStartTimestamp"]) for c in calls), default=updated)
    priority = incident.get("incidentCommonPriorityNumber")
    stated = incident.get("incidentPriorityInternalText")
    statuses = incident.get("incidentStatusInternalText") or incident.get(
        "incidentStatusCommonRegistryText"
    ) or [""]  # fmt: skip
    return PartnerIncident(
        incident_id=document["$id"],
        updated_ms=updated,
        started_ms=started,
        ours=ours,
        incident_type=incident.get("incidentTypeInternalCode"),
        grade=_grade(stated, priority),
        location_pidf=_location(document, incident),
        status=str(statuses[0]),
        units=tuple(
            _plain(u.get("emergencyResourceName") or u["$id"]).replace(",", " ")
            for u in document.get("emergencyResourceComponent", [])
            if u.get("primaryUnitStatusRegistryText") not in ("Cleared", "Available")
        ),
        notes=tuple(
            PartnerNote(n["$id"], _plain(n["notesActionComments"]))
            for n in document.get("notesComponent", [])
        ),
    )


def _grade(stated: object, priority: object) -> Grade | None:
    """The grade a police EIDO states (I, S, E, R), else its common priority's (1-4)."""
    if isinstance(stated, str) and stated in set(Grade):
        return Grade(stated)
    return GRADE_OF_PRIORITY.get(priority) if isinstance(priority, int) else None


def _location(document: dict[str, Any], incident: dict[str, Any]) -> str | None:
    """The PIDF-LO of the incident's own location (the one its incident component names), else
    of the first given by value."""
    named = {r["$ref"] for r in incident.get("locationReference", [])}
    by_value = [c for c in document.get("locationComponent", []) if c.get("locationByValue")]
    chosen = [c for c in by_value if c["$id"] in named] or by_value
    location: str | None = chosen[0]["locationByValue"] if chosen else None
    return location


def _plain(text: str) -> str:
    """HTML5 notes as plain text: tags dropped, entities read."""
    return html.unescape(_TAG.sub("", text)).strip()


def _ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
