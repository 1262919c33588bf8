"""Response and request bodies of the call handlers' API (beyond the shared payload models)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from cad.events import CallEvent
from cad.incident_record import EXAMPLE_INCIDENT, IncidentRecord
from callhandling.clocks import EXAMPLE_CLOCKS, Clocks
from callhandling.grade_history import GradeChange
from callhandling.grading import Thrive
from service.api.geo_api import EXAMPLE_LOCATION, LocateResponse

# The examples below tell one story: a fight at Trafalgar Square, CAD 0042/04DEC26, CW31 and
# CW32 sent, a second call about it linked (tests validate each against its model).
EXAMPLE_VIEW: dict[str, Any] = {"incident": EXAMPLE_INCIDENT, "clocks": EXAMPLE_CLOCKS}
_CALL: dict[str, Any] = {
    "incident_ref": "CAD 0042/04DEC26", "linked": "created", "source": "999",
    "incident_type": "violence", "lon": "-0.1281", "lat": "51.508", "radius_m": "35.0",
    "text": "two men fighting outside the station", "received_ms": "1796365440699",
    "recorded_ms": "1796365440724", "call_id": "999-20261204-0042",
}  # fmt: skip


class CallIn(CallEvent):
    """A call recorded by a handler: the call event, and whether to link a likely duplicate."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "call_id": "999-20261122-0001", "received_at": "2026-11-22T21:04:05Z",
                "source": "999", "location": {"lon": -0.1281, "lat": 51.508, "radius_m": 35},
                "incident_type": "violence", "grade": "I", "cli": "07700900123",
                "text": "two men fighting outside the station",
            }]
        }
    )  # fmt: skip


_CANDIDATE: dict[str, Any] = {
    "ref": "CAD 0042/04DEC26", "score": 0.75, "distance_m": 91.8,
    "reasons": ["92 m apart, inside each other's uncertainty (100 m)", "0 min apart"],
}  # fmt: skip


class CandidateOut(BaseModel):
    """An open incident the call may be about."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CANDIDATE]})

    ref: str
    score: float
    distance_m: float
    reasons: list[str]


class CandidatesOut(BaseModel):
    """The open incidents a call being taken may be about, best first, in its dispatch area."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"area": "CW", "candidates": [_CANDIDATE]}]}
    )

    area: str
    candidates: list[CandidateOut]


class DispatchSummary(BaseModel):
    """What the dispatch core did when the incident opened."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"outcome": "claimed", "units": ["CW31", "CW32"]}]}
    )

    outcome: str
    units: list[str]


class IncidentView(BaseModel):
    """An incident with its clocks."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_VIEW]})

    incident: IncidentRecord
    clocks: Clocks


class CallRecorded(BaseModel):
    """What became of a recorded call."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "call_id": "999-20261204-0042", "outcome": "created", "location": EXAMPLE_LOCATION,
        "incident": EXAMPLE_VIEW, "candidates": [],
        "dispatch": {"outcome": "claimed", "units": ["CW31", "CW32"]},
    }]})  # fmt: skip

    call_id: str
    outcome: str
    location: LocateResponse
    incident: IncidentView
    candidates: list[CandidateOut]
    dispatch: DispatchSummary | None


class IncidentDetail(IncidentView):
    """An incident with its calls and its full chronology, its last THRIVE assessment (none if
    never graded with one) and its grade history."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **EXAMPLE_VIEW,
        "calls": [_CALL],
        "chronology": [
            {"id": "1796365440726-0", "type": "incident_created", "ref": "CAD 0042/04DEC26",
             "call_id": "999-20261204-0042", "actor": "user:PC0001(call_handler)",
             "ts_ms": "1796365440724"},
            {"id": "1796365440726-1", "type": "unit_assigned", "ref": "CAD 0042/04DEC26",
             "callsign": "CW31", "tasking_id": "a478a636ab4befd8e9efeafa55ed1d1e",
             "distance_m": "258.2718", "actor": "user:PC0001(call_handler)",
             "ts_ms": "1796365440724"},
            {"id": "1796365441333-0", "type": "incident_graded", "ref": "CAD 0042/04DEC26",
             "grade": "I", "previous": "I", "suggested": "I", "reason": "high threat, harm",
             "actor": "user:PC0001(call_handler)", "ts_ms": "1796365441332"},
        ],
        "thrive": {"threat": "high", "harm": "high", "risk": "medium", "investigation": True,
                   "vulnerability": False, "engagement": True},
        "grade_history": [
            {"kind": "call", "grade": "I", "actor": "user:PC0001(call_handler)",
             "ts_ms": 1796365440724},
            {"kind": "graded", "grade": "I", "previous": "I", "suggested": "I",
             "reason": "high threat, harm", "actor": "user:PC0001(call_handler)",
             "ts_ms": 1796365441332},
        ],
    }]})  # fmt: skip

    calls: list[dict[str, str]]
    chronology: list[dict[str, str]]
    thrive: Thrive | None = None
    grade_history: list[GradeChange] = []


class QueueAlarm(BaseModel):
    """An incident that has waited too long."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ref": "CAD 0043/04DEC26", "waited_s": 1260.4}]}
    )

    ref: str
    waited_s: float


# The open incidents: one dispatched, one waiting in the queue past its alarm age.
EXAMPLE_LIVE_LIST: dict[str, Any] = {
    "incidents": [
        EXAMPLE_VIEW,
        {
            "incident": {
                **EXAMPLE_INCIDENT, "ref": "CAD 0043/04DEC26", "call_id": "101-20261204-0043",
                "status": "pending", "grade": "S", "incident_type": "burglary_in_progress",
                "source": "101", "lon": -0.1419, "lat": 51.5155, "radius_m": None,
                "received_ms": 1796364180000, "created_ms": 1796364180031, "units": [],
                "taskings": [], "dispatched_ms": None, "call_count": 1, "grade_suggested": None,
                "grade_reason": None,
            },
            "clocks": {"since_call_s": 1260.4, "target_s": 3600, "time_left_s": 2339.6,
                       "attended": False, "predicted_breach": False, "best_eta_s": 412.0},
        },
    ],
    "alarms": [{"ref": "CAD 0043/04DEC26", "waited_s": 1260.4}],
}  # fmt: skip


class IncidentList(BaseModel):
    """Incidents in queue order, and the alarms raised on the queue."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_LIVE_LIST]})

    incidents: list[IncidentView]
    alarms: list[QueueAlarm]


class LinkIn(BaseModel):
    """Link a call to this incident."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"call_id": "999-20261204-0043"}]})

    call_id: Annotated[str, Field(min_length=1, max_length=64)]


class CloseIn(BaseModel):
    """Close an incident with a result code from the catalogue (`cad/data/result_codes.yaml`;
    an unknown one is a 422 listing the valid codes)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "arrest", "note": ""}]})

    code: Annotated[str, Field(min_length=1, max_length=64)]
    note: Annotated[str, Field(max_length=2_000)] = ""


class EndIn(BaseModel):
    """Cancel or refer an incident, saying why."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"note": "caller rang back: all quiet now, no offences"},
                {"note": "referred to London Ambulance Service: medical, no police role"},
            ]
        }
    )

    note: Annotated[str, Field(min_length=1, max_length=2_000)]
