"""WGS84 lon/lat to British National Grid (EPSG:27700) metres: the one place we measure area."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer

# BNG's published area of use (EPSG:27700), in degrees; beyond it the grid is not a measure.
BNG_AREA_OF_USE = (-9.01, 49.75, 2.01, 61.01)

# A pyproj Transformer must not be shared between threads, and FastAPI runs sync routes on a pool.
_local = threading.local()


def _transformer() -> Transformer:
    transformer: Transformer | None = getattr(_local, "to_bng", None)
    if transformer is None:
        transformer = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
        _local.to_bng = transformer
    return transformer


def in_bng_area(lon: float, lat: float) -> bool:
    """Whether a point lies where British National Grid coordinates are meaningful."""
    west, south, east, north = BNG_AREA_OF_USE
    return west <= lon <= east and south <= lat <= north


def to_bng(lon: float, lat: float) -> tuple[float, float]:
    """Easting and northing in metres of one WGS84 point."""
    x, y = _transformer().transform(lon, lat)
    return float(x), float(y)


def to_bng_many(
    lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Eastings and northings in metres of arrays of WGS84 points."""
    xs, ys = _transformer().transform(lons, lats)
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)


def geometry_to_bng(geometry: Any) -> Any:
    """A shapely geometry (or array of them) in lon/lat, re-expressed in BNG metres."""

    def project(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        xs, ys = to_bng_many(coords[:, 0], coords[:, 1])
        return np.column_stack((xs, ys))

    return shapely.transform(geometry, project)


def from_bng(x: float, y: float) -> tuple[float, float]:
    """WGS84 lon/lat of one British National Grid point (metres)."""
    transformer: Transformer | None = getattr(_local, "from_bng", None)
    if transformer is None:
        transformer = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
        _local.from_bng = transformer
    lon, lat = transformer.transform(x, y)
    return float(lon), float(lat)
