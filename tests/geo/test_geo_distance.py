"""Distances in metres against pyproj's geodesic and British National Grid."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from pyproj import Geod, Transformer

from geo import distance_m, distances_m

Floats = npt.NDArray[np.float64]


def pairs(span_deg: float, seed: int) -> tuple[Floats, Floats, Floats, Floats]:
    rng = np.random.default_rng(seed)
    lon1 = rng.uniform(-0.5, 0.3, 500)
    lat1 = rng.uniform(51.3, 51.7, 500)
    lon2 = lon1 + rng.uniform(-span_deg, span_deg, 500)
    lat2 = lat1 + rng.uniform(-0.6 * span_deg, 0.6 * span_deg, 500)
    return lon1, lat1, lon2, lat2


def ours(lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats) -> Floats:
    rows = zip(lon1.tolist(), lat1.tolist(), lon2.tolist(), lat2.tolist(), strict=True)
    return np.array([distance_m(*row) for row in rows])


@pytest.mark.parametrize(("span_deg", "bound"), [(0.02, 1e-7), (0.2, 1e-6), (0.7, 1e-5)])
def test_distance_matches_the_geodesic(span_deg: float, bound: float) -> None:
    lon1, lat1, lon2, lat2 = pairs(span_deg, seed=int(span_deg * 100))
    _, _, geodesic = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    assert np.max(np.abs(ours(lon1, lat1, lon2, lat2) / geodesic - 1.0)) < bound


def test_bng_distances_are_slightly_shorter() -> None:
    lon1, lat1, lon2, lat2 = pairs(0.2, seed=3)
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x1, y1 = to_bng.transform(lon1, lat1)
    x2, y2 = to_bng.transform(lon2, lat2)
    ratio = np.hypot(np.subtract(x2, x1), np.subtract(y2, y1)) / ours(lon1, lat1, lon2, lat2)
    assert 0.9997 < ratio.min() <= ratio.max() < 1.0


def test_the_vectorised_form_agrees() -> None:
    lon1, lat1, lon2, lat2 = pairs(0.3, seed=5)
    many = distances_m(float(lon1[0]), float(lat1[0]), lon2, lat2)
    same_start = ours(np.full(500, lon1[0]), np.full(500, lat1[0]), lon2, lat2)
    assert many == pytest.approx(same_start, rel=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((-0.1281, 51.5080), (-0.1281, 51.5080), 0.0),
        ((-0.1281, 51.5080), (-0.0886, 51.5133), 2805.0),  # Trafalgar Square to Bank
        ((-0.1281, 51.5080), (-0.4543, 51.4700), 23048.0),  # to Heathrow
    ],
)
def test_known_distances(a: tuple[float, float], b: tuple[float, float], metres: float) -> None:
    assert distance_m(*a, *b) == pytest.approx(metres, abs=1.0)
    assert distance_m(*b, *a) == pytest.approx(distance_m(*a, *b))
