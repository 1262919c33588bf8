"""Whose call it is, decided as a call comes in (geo/jurisdiction.py): a call in the City of
London or beyond London opens an incident flagged for transfer to that force, held in the
area's transfer queue, unless its grade is one Met units attend meanwhile
(`CAD_ATTEND_OUTSIDE_GRADES`). An uncertainty circle lying in more than one borough is kept as
`ambiguous_location` on the incident."""

from __future__ import annotations

from cad.events import Grade, Location
from cad.incident_record import IncidentStatus
from cad.settings import Settings
from geo import (
    CircleLocation,
    Jurisdiction,
    PointLocation,
    load_gazetteer,
    load_jurisdictions,
)


def jurisdiction_of(location: Location, settings: Settings) -> Jurisdiction:
    """The force whose call at `location` it is, and whether its circle is ambiguous."""
    gazetteer = load_gazetteer()
    radius_m = location.radius_m
    # No circle, or one of no size: a point (as describe_location has it).
    if not radius_m:
        return jurisdiction_at(gazetteer.locate(location.lon, location.lat), None, settings)
    circle = gazetteer.locate_circle(location.lon, location.lat, radius_m)
    return jurisdiction_at(circle.centre, circle, settings)


def jurisdiction_at(
    point: PointLocation, circle: CircleLocation | None, settings: Settings
) -> Jurisdiction:
    """Whose call it is, of a point (and its circle) the gazetteer has located: a caller that has
    located it already (the API, to answer where it is) spares the lookups, a second point in
    polygon test of every call."""
    areas = settings.force_areas_file
    forces = load_jurisdictions(None if areas is None else str(areas))
    return forces.jurisdiction(point, circle)


def attended_grades(settings: Settings) -> frozenset[str]:
    """The grades Met units attend in another force's area (`CAD_ATTEND_OUTSIDE_GRADES`)."""
    return frozenset(g for g in settings.attend_outside_grades.split(",") if g)


def jurisdiction_fields(
    where: Jurisdiction, grade: Grade | None, *, attend: frozenset[str]
) -> dict[str, str]:
    """The incident hash fields a call's jurisdiction adds (`status` only when it is held)."""
    fields = {"ambiguous_location": "1" if where.ambiguous else ""}
    if not where.transfer:
        return fields
    attends = grade is not None and grade.value in attend
    fields |= {
        "transfer_force": where.force,
        "transfer_basis": where.basis,
        "met_attends": "1" if attends else "",
    }
    if not attends:
        fields["status"] = IncidentStatus.TRANSFER.value
    return fields
