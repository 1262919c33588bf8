"""Uncertainty circles (AML, eCall): buffered in British National Grid, shared out over areas."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from geo.area_index import AreaIndex
from geo.models import AreaLevel, AreaShare, CircleLocation, PointLocation
from geo.projection import in_bng_area, to_bng

MAX_RADIUS_M = 50_000.0
# 64 vertices: the polygon's area is within 0.2% of the circle's, and shares are of the polygon.
_QUAD_SEGS = 16
_LEVEL_ORDER: dict[AreaLevel, int] = {"bcu": 0, "borough": 1, "ward": 2}


@dataclass(frozen=True)
class AreaLevelIndex:
    """One level of areas (BCUs, boroughs or wards): codes and names beside their index."""

    level: AreaLevel
    codes: tuple[str, ...]
    names: tuple[str, ...]
    index: AreaIndex


class CircleLocator:
    """Shares an uncertainty circle out over several levels of areas."""

    def __init__(self, levels: Sequence[AreaLevelIndex], *, material_share: float) -> None:
        if not 0.0 < material_share <= 0.5:
            raise ValueError("material_share must be in (0, 0.5], so that two areas can hold it")
        self._levels = tuple(levels)
        self.material_share = material_share

    def locate(self, centre: PointLocation, radius_m: float) -> CircleLocation:
        """The circle of `radius_m` metres about `centre`, shared out over every level."""
        if not (0.0 < radius_m <= MAX_RADIUS_M):  # NaN fails too
            raise ValueError(f"radius_m must be in (0, {MAX_RADIUS_M:.0f}] metres: {radius_m!r}")
        if not in_bng_area(centre.lon, centre.lat):
            return CircleLocation(centre, radius_m, [], ambiguous=False, unlocated_share=1.0)
        circle = shapely.buffer(
            shapely.Point(*to_bng(centre.lon, centre.lat)), radius_m, quad_segs=_QUAD_SEGS
        )
        circle_m2 = float(circle.area)
        areas: list[AreaShare] = []
        located = 0.0
        material = 0
        for level in self._levels:
            shares = level.index.overlap_m2(circle) / circle_m2
            areas += [
                AreaShare(level.level, level.codes[i], level.names[i], float(shares[i]))
                for i in np.flatnonzero(shares > 0).tolist()
            ]
            if level.level == "borough":
                located = math.fsum(shares.tolist())
                material = int(np.count_nonzero(shares >= self.material_share))
        areas.sort(key=lambda area: (-area.share, _LEVEL_ORDER[area.level], area.code))
        return CircleLocation(
            centre,
            radius_m,
            areas,
            ambiguous=material > 1,
            unlocated_share=max(0.0, 1.0 - located),
        )
