"""What an EIDO says about an incident, as plain values: ours to export (read from Redis by
interop/eido/gather.py), or a partner's as read (interop/eido/reading.py)."""

from __future__ import annotations

from dataclasses import dataclass

from cad.incident_record import IncidentRecord


@dataclass(frozen=True)
class Agency:
    """An agency as EIDO names it: its id (a domain), its name, and its type from IANA's
    `urn:emergency:service:responder` registry (`police`, `ems`, `fire`)."""

    agency_id: str
    name: str
    agency_type: str


@dataclass(frozen=True)
class CallFact:
    """One of the incident's calls (the caller's number and words never leave the service)."""

    call_id: str
    received_ms: int
    source: str


@dataclass(frozen=True)
class UnitFact:
    """A unit sent to the incident and where it stands with it (`cleared`: gone since)."""

    callsign: str
    status: str


@dataclass(frozen=True)
class NoteFact:
    """A remark on the incident's log: its id, when, and its text."""

    note_id: str
    ts_ms: int
    text: str


@dataclass(frozen=True)
class IncidentFacts:
    """Everything our EIDO of an incident says. `receiving` is the agency it was handed to (or
    is held for); `originating` the partner it was imported from, with its reference."""

    incident: IncidentRecord
    calls: tuple[CallFact, ...]
    units: tuple[UnitFact, ...]
    notes: tuple[NoteFact, ...]
    updated_ms: int
    receiving: Agency | None = None
    originating: Agency | None = None
