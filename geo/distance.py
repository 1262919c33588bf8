"""Metric distances between WGS84 points, cheap enough to rank hundreds of units per incident.

The ellipsoid is flattened locally at the pair's mean latitude (WGS84 radii of curvature there).
Against the geodesic this is within 1e-6 (a millimetre a kilometre) for points up to 20 km apart
around London and within 1e-5 up to 65 km. British National Grid distances are 0.005% to 0.03%
shorter than both (the grid's scale factor in London). tests/geo/test_geo_distance.py holds these.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

_A = 6_378_137.0  # WGS84 semi-major axis, metres
_E2 = 0.006_694_379_990_14  # WGS84 first eccentricity squared
_RAD = math.pi / 180.0


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two WGS84 points."""
    phi = (lat1 + lat2) * 0.5 * _RAD
    sin_phi = math.sin(phi)
    w2 = 1.0 - _E2 * sin_phi * sin_phi
    prime_vertical = _A / math.sqrt(w2)
    meridional = prime_vertical * (1.0 - _E2) / w2
    dx = (lon2 - lon1) * _RAD * prime_vertical * math.cos(phi)
    dy = (lat2 - lat1) * _RAD * meridional
    return math.hypot(dx, dy)


def distances_m(
    lon: float, lat: float, lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Metres from one WGS84 point to each of arrays of points (same formula, vectorised)."""
    phi = (lat + lats) * (0.5 * _RAD)
    sin_phi = np.sin(phi)
    w2 = 1.0 - _E2 * sin_phi * sin_phi
    prime_vertical = _A / np.sqrt(w2)
    meridional = prime_vertical * (1.0 - _E2) / w2
    dx = (lons - lon) * _RAD * prime_vertical * np.cos(phi)
    dy = (lats - lat) * _RAD * meridional
    result: npt.NDArray[np.float64] = np.hypot(dx, dy)
    return result
