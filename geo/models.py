"""What the gazetteer answers: immutable results, plain data, no geometry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from geo.bcus import Force

AreaLevel = Literal["bcu", "borough", "ward"]
EtaContext = Literal["inner", "outer"]


@dataclass(frozen=True, slots=True)
class Borough:
    """A London borough as the gazetteer holds it (geometry in lon/lat degrees)."""

    name: str
    gss_code: str
    inner: bool  # ONS Inner London
    geometry: Any


@dataclass(frozen=True, slots=True)
class Ward:
    """A ward and the GSS code of its borough (geometry in lon/lat degrees)."""

    name: str
    code: str
    borough_code: str
    geometry: Any


@dataclass(frozen=True, slots=True)
class PointLocation:
    """Where a point is: borough, ward, BCU and force, or how it lies off them."""

    lon: float
    lat: float
    borough: str | None
    gss_code: str | None
    ward: str | None
    ward_code: str | None
    bcu: str | None  # None in the City of London, off the areas, or on the river beyond reach
    bcu_name: str | None
    nearest_bcu: str  # always set: == bcu inside a BCU, else the BCU whose area is nearest
    force: Force
    in_force_area: bool  # policed by the Met
    on_river: bool  # in the tidal Thames, which belongs to no borough
    outside_force_area: bool  # beyond Greater London
    distance_to_boundary_m: float | None  # to the nearest borough, when the point is in none
    eta_context: EtaContext  # the road context for eta_seconds()


@dataclass(frozen=True, slots=True)
class AreaShare:
    """The share of an uncertainty circle's area that lies in one area."""

    level: AreaLevel
    code: str  # BCU code, borough GSS code or ward code
    name: str
    share: float  # 0..1 of the circle's area


@dataclass(frozen=True, slots=True)
class CircleLocation:
    """Where an uncertainty circle lies: its centre and every area it touches, largest first."""

    centre: PointLocation
    radius_m: float
    areas: list[AreaShare]
    ambiguous: bool  # more than one borough holds a material share
    unlocated_share: float  # in no borough: the river, or beyond London

    def at_level(self, level: AreaLevel) -> list[AreaShare]:
        """The shares of one level (bcu, borough or ward), largest first."""
        return [area for area in self.areas if area.level == level]


@dataclass(frozen=True, slots=True)
class BatchLocation:
    """Vectorised point-in-area results; -1 (or "") where a point is in no area."""

    borough: npt.NDArray[np.int32]  # index into Gazetteer.boroughs
    ward: npt.NDArray[np.int32]  # index into Gazetteer.wards; -1 where it disagrees with borough
    bcu: npt.NDArray[np.str_]  # BCU code, "" in the City of London and off the areas
    in_force_area: npt.NDArray[np.bool_]
