"""A CAP 1.2 alert message about one of our incidents, and the chain of updates and a cancel
that reference it: pure values (xml.py renders them)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from cad.events import Integral, Latitude, Longitude, Number, WholeNumber

# Plain text a person reads (CAP's text fields are plain; the XML escapes `<` and `&`): no
# control characters, which XML 1.0 cannot carry.
_PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*[^\s\x00-\x1f][^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
Text = Annotated[str, Field(min_length=1, max_length=1_000, pattern=_PRINTABLE)]


class AlertKind(StrEnum):
    """What the public is told to do."""

    ROAD_CLOSURE = "road_closure"
    EVACUATION = "evacuation"


class Circle(BaseModel):
    """A circle: its centre and radius in metres."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lon: Longitude
    lat: Latitude
    radius_m: Annotated[Number, Field(gt=0, le=50_000)]


Ring = Annotated[list[tuple[Longitude, Latitude]], Field(min_length=3, max_length=500)]


class CircleArea(BaseModel):
    """Where the alert applies: described in words, and a circle."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: Text
    circle: Circle


class PolygonArea(BaseModel):
    """Where the alert applies: described in words, and a polygon: its corners, at least three
    [lon, lat] pairs, not closed (CAP's closing pair is added)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: Text
    polygon: Ring


# Exactly one shape: each kind of area admits no other field, so the schema itself says so.
AlertArea = CircleArea | PolygonArea


class AlertContent(BaseModel):
    """What a supervisor says: the kind, a headline, the description, the instruction, where,
    and for how long."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AlertKind
    headline: Annotated[str, Field(min_length=1, max_length=160, pattern=_PRINTABLE)]
    description: Text
    instruction: Text
    area: AlertArea
    expires_in_min: Annotated[WholeNumber, Field(ge=5, le=7 * 24 * 60), Integral] = 240


MsgType = Literal["Alert", "Update", "Cancel"]


class CapMessage(BaseModel):
    """One CAP message as kept: its identity, what it is (an alert, an update or a cancel of
    the earlier messages in `references`, each `sender,identifier,sent`), and its content."""

    model_config = ConfigDict(frozen=True)

    identifier: str
    sender: str
    sent_s: int
    msg_type: MsgType
    references: tuple[str, ...] = ()
    incident_ref: str
    incident_id: str
    content: AlertContent
    note: str | None = None

    @property
    def sent(self) -> str:
        return cap_time(self.sent_s)

    @property
    def expires(self) -> str:
        return cap_time(self.sent_s + self.content.expires_in_min * 60)

    @property
    def reference(self) -> str:
        """How a later message names this one."""
        return f"{self.sender},{self.identifier},{self.sent}"


def cap_time(seconds: int) -> str:
    """CAP's dateTime: seconds, an explicit offset, never `Z` (the schema's own pattern)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def follow_up(
    earlier: CapMessage, *, identifier: str, sent_s: int, msg_type: MsgType,
    content: AlertContent | None = None, note: str | None = None,
) -> CapMessage:  # fmt: skip
    """An update (new content) or cancel (the earlier content, and why) of `earlier`,
    referencing it and everything it referenced."""
    return earlier.model_copy(
        update={
            "identifier": identifier, "sent_s": sent_s, "msg_type": msg_type,
            "references": (*earlier.references, earlier.reference),
            "content": content or earlier.content, "note": note,
        }
    )  # fmt: skip
