"""An incident as the dispatch core stores it in its Redis hash: the fields every package reads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from cad.events import CallEvent, Grade, Location


class IncidentRecord(BaseModel):
    """The stored fields of one incident (caller number and text are not among them)."""

    model_config = ConfigDict(frozen=True)

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
    dispatched_ms: int | None = None
    on_scene_ms: int | None = None
    closed_ms: int | None = None
    close_code: str | None = None
    close_note: str | None = None
    call_count: int = 1
    grade_suggested: Grade | None = None
    grade_reason: str | None = None

    @property
    def location(self) -> Location:
        return Location(lon=self.lon, lat=self.lat, radius_m=self.radius_m)

    @classmethod
    def from_hash(cls, fields: dict[str, str]) -> IncidentRecord:
        """Read the Redis hash (all strings; an empty string means absent)."""
        present: dict[str, object] = {k: v for k, v in fields.items() if v != ""}
        for listed in ("units", "taskings"):
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
