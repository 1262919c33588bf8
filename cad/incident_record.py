"""An incident as the dispatch core stores it in its Redis hash: the fields every package reads,
the statuses it goes through, and reading it back."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from cad.events import CallEvent, Grade, Location
from cad.keys import AreaKeys
from cad.unreadable import unreadable_record


class IncidentStatus(StrEnum):
    """Where an incident is in its life (callhandling/lifecycle.py: who may move it where)."""

    NEW = "new"
    PENDING = "pending"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    # Every unit has cleared; a dispatcher closes it with a result code (callhandling/lifecycle.py).
    AWAITING_RESULT = "awaiting_result"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REFERRED = "referred"
    # Another force's call (callhandling/jurisdiction.py), held for hand-over; then handed over.
    TRANSFER = "transfer"
    TRANSFERRED = "transferred"


S = IncidentStatus
# Both packages' scripts test these (a call links only to an open incident, a unit goes only to
# one): their preludes are written from here (callhandling/lua, dispatch/lua). An incident
# awaiting its result is neither: nothing is sent to it and no new call links to it (a new call
# there opens an incident of its own, which is dispatched), yet it is not over until closed.
OPEN = frozenset({S.NEW, S.PENDING, S.DISPATCHED, S.EN_ROUTE, S.ON_SCENE, S.TRANSFER})
FINAL = frozenset({S.CLOSED, S.CANCELLED, S.REFERRED, S.TRANSFERRED})


# A dispatched I-grade fight near Trafalgar Square (OpenAPI; tests validate it against the model).
EXAMPLE_INCIDENT: dict[str, Any] = {
    "ref": "CAD 0042/04DEC26", "area": "CW", "call_id": "999-20261204-0042",
    "status": "dispatched", "grade": "I", "incident_type": "violence", "source": "999",
    "lon": -0.1281, "lat": 51.508, "radius_m": 35.0, "received_ms": 1796365440699,
    "created_ms": 1796365440724, "units": ["CW31", "CW32"],
    "taskings": ["a478a636ab4befd8e9efeafa55ed1d1e", "e9b9ff039364415f38d08c288eddce4d"],
    "stood_down": [],
    "dispatched_ms": 1796365440724, "on_scene_ms": None, "cleared_ms": None, "closed_ms": None,
    "close_code": None, "close_note": None, "call_count": 2, "grade_suggested": "I",
    "grade_reason": "high threat, harm", "transfer_force": None, "transfer_basis": None,
    "met_attends": False, "ambiguous_location": False, "transfer_reference": None,
    "transfer_note": None, "transferred_ms": None, "partner_agency": None,
    "partner_reference": None, "partner_status": None, "partner_units": [],
    "partner_updated_ms": None,
}  # fmt: skip


class IncidentRecord(BaseModel):
    """The stored fields of one incident (caller number and text are not among them)."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [EXAMPLE_INCIDENT]})

    ref: str
    area: str
    call_id: str
    status: str
    grade: Grade | None = None
    incident_type: str | None = None
    source: str
    lon: float
    lat: float
    radius_m: float | None = None
    received_ms: int
    created_ms: int
    units: tuple[str, ...] = ()
    taskings: tuple[str, ...] = ()
    # Units a dispatcher stood down from it: never sent to it again but by name.
    stood_down: tuple[str, ...] = ()
    dispatched_ms: int | None = None
    on_scene_ms: int | None = None
    cleared_ms: int | None = None
    closed_ms: int | None = None
    close_code: str | None = None
    close_note: str | None = None
    call_count: int = 1
    grade_suggested: Grade | None = None
    grade_reason: str | None = None
    # Jurisdiction (callhandling/jurisdiction.py): the force whose call it is when not the Met's,
    # why, whether Met units attend it meanwhile, and whether the caller's circle was ambiguous.
    transfer_force: str | None = None
    transfer_basis: str | None = None
    met_attends: bool = False
    ambiguous_location: bool = False
    # The hand-over (POST /v1/incidents/{ref}/transfer).
    transfer_reference: str | None = None
    transfer_note: str | None = None
    transferred_ms: int | None = None
    # A partner agency's side (interop/): the agency an incident came from or went to (its id in
    # the partners file), its own reference, and the latest status and units it reported.
    partner_agency: str | None = None
    partner_reference: str | None = None
    partner_status: str | None = None
    partner_units: tuple[str, ...] = ()
    partner_updated_ms: int | None = None

    @property
    def location(self) -> Location:
        return Location(lon=self.lon, lat=self.lat, radius_m=self.radius_m)

    @classmethod
    def from_hash(cls, fields: dict[str, str]) -> IncidentRecord:
        """Read the Redis hash (all strings; an empty string means absent)."""
        present: dict[str, object] = {k: v for k, v in fields.items() if v != ""}
        for listed in ("units", "taskings", "stood_down", "partner_units"):
            if listed in present:
                present[listed] = tuple(str(present[listed]).split(","))
        return cls.model_validate(present)


def new_incident_fields(event: CallEvent, *, area: str) -> dict[str, str]:
    """The hash fields of a new incident made from a call event (ref and created_ms come later)."""
    loc = event.location
    return {
        "area": area,
        "call_id": event.call_id,
        "status": "new",
        "grade": event.grade.value if event.grade else "",
        "incident_type": event.incident_type or "",
        "source": event.source.value,
        "lon": repr(loc.lon),
        "lat": repr(loc.lat),
        "radius_m": "" if loc.radius_m is None else repr(loc.radius_m),
        "received_ms": str(int(event.received_at.timestamp() * 1000)),
    }


def parse_incident(area: str, ref: str, fields: dict[str, str]) -> IncidentRecord:
    """The incident a stored hash holds; UnreadableRecordError if it does not parse."""
    try:
        return IncidentRecord.from_hash(fields)
    except ValueError as exc:  # pydantic's ValidationError among them
        raise unreadable_record("incident", area, ref, exc) from exc


async def read_incident(redis: Redis | RedisCluster, area: str, ref: str) -> IncidentRecord | None:
    """The incident's stored record, or None; UnreadableRecordError if it does not parse."""
    fields = await redis.hgetall(AreaKeys(area).incident(ref))
    return parse_incident(area, ref, fields) if fields else None
