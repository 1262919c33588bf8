"""Whose call is it: the Met's, the City of London Police's, or a neighbouring force's.

We hold no neighbouring forces' polygons. Beyond Greater London the force is derived from the
stretch of London's boundary nearest the point (`geo/data/neighbouring_forces.json`): an outer
borough's stretch names one force, or several split by the bearing from the borough's centroid.
It is an approximation (docs/geo.md); real Police Force Area polygons plug in as `force_areas`,
and are asked first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely

from geo.bcus import CITY_POLICE, MET
from geo.data_loading import GeoDataError
from geo.models import Borough, CircleLocation, PointLocation
from geo.projection import geometry_to_bng, in_bng_area, to_bng

MET_NAME = "Metropolitan Police Service"
CITY_NAME = "City of London Police"
# Far beyond London the nearest stretch of its boundary says nothing about the force.
UNKNOWN_FORCE = "unknown force (beyond the neighbouring forces)"


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """The force whose call it is; `transfer` when that is not the Met; `basis` says why;
    `ambiguous` when the caller's uncertainty circle lies materially in more than one borough."""

    force: str
    transfer: bool
    basis: str
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class Stretch:
    """Part of an outer borough's boundary: points whose bearing from the borough's centroid
    lies in [from_deg, to_deg) belong to `force` beyond it."""

    from_deg: float
    to_deg: float
    force: str


class NeighbourForces:
    """The neighbouring force of a point beyond London: real force areas first, then the nearest
    outer borough's stretch of boundary."""

    def __init__(
        self,
        boroughs: Sequence[Borough],
        stretches: Mapping[str, Sequence[Stretch]],
        *,
        max_distance_m: float,
        force_areas: Mapping[str, Any] | None = None,
    ) -> None:
        by_name = {b.name: b for b in boroughs}
        unknown = sorted(set(stretches) - set(by_name))
        if unknown:
            raise GeoDataError(f"neighbouring forces: no borough {unknown}")
        for name, parts in stretches.items():
            _check_cover(name, parts)
        self._names = tuple(stretches)
        self._stretches = {name: tuple(parts) for name, parts in stretches.items()}
        shapes = [geometry_to_bng(by_name[name].geometry) for name in self._names]
        self._tree = shapely.STRtree(shapes)
        self._shapes = shapes
        self._centroids = [shape.centroid for shape in shapes]
        self._max_distance_m = max_distance_m
        self._areas = list((force_areas or {}).items())
        for _, area in self._areas:
            shapely.prepare(area)

    def force_at(self, lon: float, lat: float) -> tuple[str, str]:
        """The force beyond London at a WGS84 point, and the basis of the answer."""
        for force, area in self._areas:
            if shapely.contains_xy(area, lon, lat):
                return force, "in its force area"
        if not in_bng_area(lon, lat):
            return UNKNOWN_FORCE, "beyond British National Grid"
        x, y = to_bng(lon, lat)
        point = shapely.Point(x, y)
        index = int(self._tree.nearest(point))
        distance = float(self._shapes[index].distance(point))
        if distance > self._max_distance_m:
            return UNKNOWN_FORCE, f"{distance / 1000:.0f} km beyond London"
        name, centre = self._names[index], self._centroids[index]
        bearing = math.degrees(math.atan2(x - centre.x, y - centre.y)) % 360
        force = next(s.force for s in self._stretches[name] if s.from_deg <= bearing < s.to_deg)
        return force, (
            f"nearest stretch of London's boundary: {name}, bearing {bearing:.0f} deg, "
            f"{distance / 1000:.1f} km beyond it"
        )

    def jurisdiction(
        self, point: PointLocation, circle: CircleLocation | None = None
    ) -> Jurisdiction:
        """Whose call a located point (and its uncertainty circle) is."""
        ambiguous = circle is not None and circle.ambiguous
        if point.force == MET:
            return Jurisdiction(MET_NAME, False, f"in {point.borough}", ambiguous)
        if point.force == CITY_POLICE:
            return Jurisdiction(CITY_NAME, True, "in the City of London", ambiguous)
        if not point.outside_force_area:
            # The tidal Thames beyond reach of a bank: the Met's river (its Marine Unit).
            return Jurisdiction(MET_NAME, False, "on the tidal Thames", ambiguous)
        force, basis = self.force_at(point.lon, point.lat)
        return Jurisdiction(force, True, basis, ambiguous)


def read_neighbour_forces(
    document: Any,
    boroughs: Sequence[Borough],
    *,
    label: str,
    force_areas: Mapping[str, Any] | None = None,
) -> NeighbourForces:
    """The neighbouring forces of a parsed `neighbouring_forces.json` (and real force areas,
    asked first, when given: name -> lon/lat polygon); GeoDataError naming what is wrong."""
    try:
        names: dict[str, str] = document["forces"]
        stretches = {
            borough: [Stretch(float(a), float(b), names[code]) for a, b, code in parts]
            for borough, parts in document["stretches"].items()
        }
        max_distance_m = float(document["max_distance_m"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GeoDataError(f"{label}: not a neighbouring-forces file: {exc!r}") from exc
    return NeighbourForces(
        boroughs, stretches, max_distance_m=max_distance_m, force_areas=force_areas
    )


def _check_cover(name: str, parts: Sequence[Stretch]) -> None:
    """A borough's stretches must cover every bearing once, in order from 0 to 360."""
    edge = 0.0
    for part in parts:
        if part.from_deg != edge or part.to_deg <= part.from_deg:
            raise GeoDataError(f"neighbouring forces: {name}'s bearings are not contiguous")
        edge = part.to_deg
    if edge != 360.0:
        raise GeoDataError(f"neighbouring forces: {name}'s bearings stop at {edge}")
