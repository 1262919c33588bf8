"""Nearest area for points beyond British National Grid's area of use, measured on the ellipsoid.

A broken handset can report (0, 0) or the far side of the world; BNG coordinates there mean
nothing, so the distance is the geodesic to the nearest boundary vertex instead. The boundaries
have vertices metres apart, so the error is metres in thousands of kilometres.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import Geod

_GEOD = Geod(ellps="WGS84")


class FarAway:
    """Geodesic nearest area from anywhere on Earth, over the areas' boundary vertices."""

    def __init__(self, geometries: Sequence[Any]) -> None:
        coords, owner = shapely.get_coordinates(
            shapely.boundary(np.asarray(geometries, dtype=object)), return_index=True
        )
        self._lons = np.ascontiguousarray(coords[:, 0])
        self._lats = np.ascontiguousarray(coords[:, 1])
        self._owner = owner

    def nearest(self, lon: float, lat: float) -> tuple[int, float]:
        """Index of the area nearest a lon/lat point and the geodesic distance in metres."""
        n = len(self._lons)
        _, _, distances = _GEOD.inv(np.full(n, lon), np.full(n, lat), self._lons, self._lats)
        best = int(np.argmin(distances))
        return int(self._owner[best]), float(distances[best])
