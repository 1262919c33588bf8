"""Request and response bodies of an incident's log: remarks, corrections, callers, results."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from cad.events import Grade, Location
from cad.incident_record import EXAMPLE_INCIDENT, IncidentRecord
from cad.result_codes import Category

# The incident after its type was corrected to weapons, and after it was closed (OpenAPI).
_WEAPONS: dict[str, Any] = {**EXAMPLE_INCIDENT, "incident_type": "weapons"}
_CLOSED: dict[str, Any] = {
    **EXAMPLE_INCIDENT, "status": "closed", "on_scene_ms": 1796365701000,
    "cleared_ms": 1796368210000, "closed_ms": 1796368290000, "close_code": "crime_reported",
    "close_note": "area searched, suspects not found",
}  # fmt: skip

# Long enough for a paragraph an operator types; a log is not a document store.
REMARK_MAX_CHARS = 2_000
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]


class RemarkIn(BaseModel):
    """A remark for the incident's log."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "caller rang back: suspects left on foot"}]}
    )

    text: Annotated[str, Field(min_length=1, max_length=REMARK_MAX_CHARS, pattern=r"\S")]


class RemarkOut(BaseModel):
    """The log entry as kept: its audit stream id, the author (from the token) and the time."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "1796365441340-0", "ref": "CAD 0042/04DEC26", "type": "remark",
        "text": "caller rang back: suspects left on foot", "actor": "user:PC0001(call_handler)",
        "ts_ms": 1796365441339,
    }]})  # fmt: skip

    id: str
    ref: str
    type: str = "remark"
    text: str
    actor: str
    ts_ms: int


class LocationIn(BaseModel):
    """Where the incident really is, and why it is corrected."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "location": {"lon": -0.1276, "lat": 51.5074, "radius_m": 20},
        "reason": "caller gave the wrong side of the square",
    }]})  # fmt: skip

    location: Location
    reason: Reason


class TypeIn(BaseModel):
    """The incident's right type (one of the catalogue's), and why it is corrected."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "incident_type": "weapons", "reason": "caller now says the man has a knife",
    }]})  # fmt: skip

    incident_type: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Reason


class TypeCorrectedOut(BaseModel):
    """The corrected incident, the type it had, and the grade its new type suggests (the grade
    itself is unchanged: a call handler re-grades if they agree)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "incident": _WEAPONS, "old_type": "violence", "suggested_grade": "I",
        "regrade_suggested": False,
    }]})  # fmt: skip

    incident: IncidentRecord
    old_type: str | None
    suggested_grade: Grade
    regrade_suggested: bool


class CallerOut(BaseModel):
    """One call's caller number: `cli` is null when the call gave none or when its record has
    expired with the caller data (`kept` false)."""

    call_id: str
    cli: str | None
    kept: bool


class CallersOut(BaseModel):
    """The caller numbers of an incident's calls, oldest call first; each read was audited."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "ref": "CAD 0042/04DEC26",
        "callers": [{"call_id": "999-20261204-0042", "cli": "07700900123", "kept": True},
                    {"call_id": "999-20261204-0043", "cli": None, "kept": True}],
    }]})  # fmt: skip

    ref: str
    callers: list[CallerOut]


class ResultIn(BaseModel):
    """A supervisor's amendment of a closed incident's result, and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "crime_reported", "reason": "victim came forward the next day",
    }]})  # fmt: skip

    code: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Reason


class ResultOut(BaseModel):
    """The amended incident, its result before and after, and the new result's category."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "incident": _CLOSED, "previous": "no_trace", "code": "crime_reported",
        "category": "crime",
    }]})  # fmt: skip

    incident: IncidentRecord
    previous: str
    code: str
    category: Category
