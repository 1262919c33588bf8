"""Versioned JSON payloads that cross MQTT: the contract between the service, gateways and MDTs.

Validation happens here, at the edge; the JSON schemas in `cad/schemas/` are generated from these
models (`python -m cad.schema_export`) and a test keeps them in step.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
)

SCHEMA_VERSION: Final = 1

# Strict where pydantic's lax mode coerces: it reads a JSON `true` as 1.0, `"51.5"` as 51.5 and
# a number as Unix time. Not whole models: a strict model refuses a JSON string for a datetime or
# an enum when FastAPI validates a parsed body (Python mode), and those strings are the contract.
# A number: never a boolean or a string; an integer is one. Finite: NaN places nothing anywhere.
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]


def _integral(value: object) -> object:
    # JSON Schema's integer is any number without a fraction: 2.0 is one, 2.5 and true are not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A whole number: never a boolean, a string or a fraction; 2.0 is 2, as JSON Schema has it. Bounds
# go before `Integral` (`Annotated[WholeNumber, Field(ge=1), Integral]`): after a validator,
# pydantic can no longer write them into the JSON schema as minimum and maximum.
WholeNumber = Annotated[int, Strict()]
Integral = BeforeValidator(_integral)
Longitude = Annotated[Number, Field(ge=-180.0, le=180.0)]
# Redis geo indexes hold latitudes within +-85.05112878 (Web Mercator): nothing beyond is mappable.
Latitude = Annotated[Number, Field(ge=-85.05112878, le=85.05112878)]
Callsign = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
_ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _iso_text(value: object) -> object:
    # A datetime object comes from our own code; from outside, only ISO 8601 text is a time.
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE_TIME.match(value)):
        return value
    raise ValueError("expected an ISO 8601 date and time with its timezone: 2026-11-22T21:04:05Z")


def _exactly_one(value: object) -> object:
    # Literal[1] alone takes `true` and 1.0 (both equal 1); the version is the integer 1.
    if type(value) is not int:
        raise ValueError("expected the integer 1")
    return value


# An ISO 8601 date and time with its timezone; never a number (pydantic's lax mode: Unix time).
Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
# The bounds each edge puts on a client's stamp (cad/clock_bounds.py), told to whoever reads the
# schema; the settings' defaults in parentheses.
_RECEIVED_AT = (
    "when the call was received; refused more than CAD_CLOCK_SKEW_S (60 s) ahead of the "
    "service clock or more than CAD_MAX_CALL_AGE_S (24 h) behind it"
)
_FIX_TS = (
    "when the position was measured; refused more than CAD_CLOCK_SKEW_S (60 s) ahead of the "
    "service clock or more than CAD_MAX_FIX_AGE_S (300 s) behind it"
)
_STATUS_TS = (
    "when the status was reported; refused more than CAD_CLOCK_SKEW_S (60 s) ahead of the "
    "service clock or more than CAD_MAX_STATUS_AGE_S (1 h) behind it (a last will, link_lost, "
    "at any age)"
)


class Grade(StrEnum):
    """Police response grades: Immediate, Significant, Extended, Referred."""

    IMMEDIATE = "I"
    SIGNIFICANT = "S"
    EXTENDED = "E"
    REFERRED = "R"


class CallSource(StrEnum):
    """Where a call came from."""

    EMERGENCY_999 = "999"
    NON_EMERGENCY_101 = "101"
    AML = "aml"
    ECALL = "ecall"
    ALARM = "alarm"
    # Another agency's incident that needs police, imported from its EIDO (interop/).
    PARTNER = "partner"


class UnitStatus(StrEnum):
    """A unit's operational status as the dispatch core sees it."""

    AVAILABLE = "available"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    BUSY = "busy"
    OFF_DUTY = "off_duty"
    # Set by the service, never reported: a tasking went unacknowledged (dispatch/acks.py).
    UNRESPONSIVE = "unresponsive"
    # The MDT's last will, published by the broker when its connection died.
    LINK_LOST = "link_lost"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: Annotated[Literal[1], BeforeValidator(_exactly_one)] = SCHEMA_VERSION


class Location(BaseModel):
    """A WGS84 point with an optional uncertainty radius (an AML or eCall fix)."""

    model_config = ConfigDict(frozen=True)

    lon: Longitude
    lat: Latitude
    radius_m: Annotated[Number, Field(ge=0.0, le=50_000.0)] | None = None


class CallEvent(_Payload):
    """A call event from telephony, AML, eCall or an alarm gateway, on `cad/calls/in`."""

    call_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
    received_at: Annotated[Timestamp, Field(description=_RECEIVED_AT)]
    source: CallSource
    location: Location
    incident_type: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    grade: Grade | None = None
    cli: Annotated[str, Field(max_length=32)] | None = None
    text: Annotated[str, Field(max_length=4_000)] | None = None


class AvlFix(_Payload):
    """A unit's position report on `cad/units/{callsign}/avl`."""

    lon: Longitude
    lat: Latitude
    ts: Annotated[Timestamp, Field(description=_FIX_TS)]
    speed_mps: Annotated[Number, Field(ge=0.0, le=120.0)] | None = None
    heading: Annotated[Number, Field(ge=0.0, lt=360.0)] | None = None


class StatusReport(_Payload):
    """A status change or tasking acknowledgement from an MDT on `cad/units/{callsign}/status`."""

    status: UnitStatus
    ts: Annotated[Timestamp, Field(description=_STATUS_TS)]
    tasking_id: Annotated[str, Field(max_length=64)] | None = None
    incident_ref: Annotated[str, Field(max_length=64)] | None = None


class Tasking(_Payload):
    """What the service sends a unit's MDT on `cad/units/{callsign}/tasking`."""

    tasking_id: str
    incident_ref: str
    call_id: str
    grade: Grade | None
    incident_type: str | None
    location: Location
    eta_s: float
    issued_at: AwareDatetime


class DeadLetter(_Payload):
    """A rejected input message, with the reason, on `cad/deadletter`."""

    topic: str
    reason: str
    payload_excerpt: str
    received_at: AwareDatetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each rejected field and why, e.g. `location.lat: must be <= 90`."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "payload"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
