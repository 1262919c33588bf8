"""Response and request bodies of the call handlers' API (beyond the shared payload models)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cad.events import CallEvent
from cad.incident_record import IncidentRecord
from callhandling.clocks import Clocks
from callhandling.grade_history import GradeChange
from callhandling.grading import Thrive
from service.api.geo_api import LocateResponse


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


class CandidateOut(BaseModel):
    """An open incident the call may be about."""

    ref: str
    score: float
    distance_m: float
    reasons: list[str]


class DispatchSummary(BaseModel):
    """What the dispatch core did when the incident opened."""

    outcome: str
    units: list[str]


class IncidentView(BaseModel):
    """An incident with its clocks."""

    incident: IncidentRecord
    clocks: Clocks


class CallRecorded(BaseModel):
    """What became of a recorded call."""

    call_id: str
    outcome: str
    location: LocateResponse
    incident: IncidentView
    candidates: list[CandidateOut]
    dispatch: DispatchSummary | None


class IncidentDetail(IncidentView):
    """An incident with its calls and its full chronology, its last THRIVE assessment (none if
    never graded with one) and its grade history."""

    calls: list[dict[str, str]]
    chronology: list[dict[str, str]]
    thrive: Thrive | None = None
    grade_history: list[GradeChange] = []


class QueueAlarm(BaseModel):
    """An incident that has waited too long."""

    ref: str
    waited_s: float


class IncidentList(BaseModel):
    """Incidents in queue order, and the alarms raised on the queue."""

    incidents: list[IncidentView]
    alarms: list[QueueAlarm]


class LinkIn(BaseModel):
    """Link a call to this incident."""

    call_id: Annotated[str, Field(min_length=1, max_length=64)]


class CloseIn(BaseModel):
    """Close an incident with a result code from the catalogue (`cad/data/result_codes.yaml`;
    an unknown one is a 422 listing the valid codes)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "arrest", "note": ""}]})

    code: Annotated[str, Field(min_length=1, max_length=64)]
    note: Annotated[str, Field(max_length=2_000)] = ""


class EndIn(BaseModel):
    """Cancel or refer an incident, saying why."""

    note: Annotated[str, Field(min_length=1, max_length=2_000)]
