"""The grid-cut index on small synthetic areas whose answers are known exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from geo.area_index import AreaIndex

# Two squares side by side (sharing the edge lon = 0.0), and a ring with a hole beside them.
WEST = shapely.box(-0.03, 51.50, 0.0, 51.53)
EAST = shapely.box(0.0, 51.50, 0.03, 51.53)
RING = shapely.box(0.04, 51.50, 0.07, 51.53).difference(shapely.box(0.05, 51.51, 0.06, 51.52))


@pytest.fixture(scope="module")
def index() -> AreaIndex:
    return AreaIndex([WEST, EAST, RING], cell_deg=0.004)


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (-0.015, 51.515, 0),
        (0.015, 51.515, 1),
        (0.045, 51.505, 2),
        (0.055, 51.515, -1),  # in the ring's hole
        (0.035, 51.515, -1),  # between the squares and the ring
        (-0.03, 51.50, 0),  # a corner of the grid itself
        (-0.5, 51.515, -1),  # off the grid
        (0.015, 52.0, -1),
        (math.nan, 51.515, -1),
        (0.0, 51.515, 0),  # on the shared edge: the first area wins
    ],
)
def test_locate(index: AreaIndex, lon: float, lat: float, expected: int) -> None:
    assert index.locate(lon, lat) == expected
    batch = index.locate_many(np.array([lon]), np.array([lat]))
    assert batch.tolist() == [expected]


def test_batch_and_single_agree_on_random_points(index: AreaIndex) -> None:
    rng = np.random.default_rng(1)
    lons = rng.uniform(-0.04, 0.08, 5000)
    lats = rng.uniform(51.49, 51.54, 5000)
    expected = [index.locate(float(x), float(y)) for x, y in zip(lons, lats, strict=True)]
    assert index.locate_many(lons, lats).tolist() == expected
    truth = [
        0 if WEST.covers(p) else 1 if EAST.covers(p) else 2 if RING.covers(p) else -1
        for p in shapely.points(lons, lats)
    ]
    assert expected == truth


def test_points_on_grid_lines_are_found(index: AreaIndex) -> None:
    # Grid lines fall every 0.004 degrees from the west edge: these points sit on them.
    lons = -0.03 + 0.004 * np.arange(1, 7)
    assert [index.locate(float(lon), 51.5120) for lon in lons] == [0] * 6
    assert [index.locate(-0.015, 51.50 + 0.004 * k) for k in range(1, 7)] == [0] * 6


def test_nearest_and_overlap_are_in_metres(index: AreaIndex) -> None:
    from geo.projection import geometry_to_bng, to_bng

    x, y = to_bng(0.055, 51.515)  # the middle of the ring's hole
    area, distance = index.nearest(x, y)
    assert area == 2
    hole = geometry_to_bng(shapely.box(0.05, 51.51, 0.06, 51.52))
    assert distance == pytest.approx(shapely.distance(shapely.Point(x, y), hole.exterior), rel=1e-6)
    region = shapely.buffer(shapely.Point(*to_bng(0.0, 51.515)), 500.0)
    overlap = index.overlap_m2(region)
    assert overlap[0] == pytest.approx(overlap[1], rel=1e-3)
    assert overlap.sum() == pytest.approx(region.area, rel=1e-9)
    assert overlap[2] == 0.0


@pytest.mark.parametrize("radius_m", [30.0, 200.0, 900.0, 4_000.0])
def test_overlap_equals_the_intersection_with_every_piece(
    index: AreaIndex, radius_m: float
) -> None:
    # Small circles fall inside one piece, large ones swallow whole pieces: both are answered
    # without an intersection, and must agree with intersecting every piece the circle touches.
    from geo.projection import to_bng

    pieces, owners = index._pieces_bng, index._piece_owner
    rng = np.random.default_rng(7)
    for lon, lat in zip(rng.uniform(-0.04, 0.08, 40), rng.uniform(51.49, 51.54, 40), strict=True):
        region = shapely.buffer(shapely.Point(*to_bng(float(lon), float(lat))), radius_m)
        cut = shapely.area(shapely.intersection(pieces, region))
        truth = np.bincount(owners, weights=cut, minlength=index.size)
        assert index.overlap_m2(region) == pytest.approx(truth, rel=1e-9, abs=1e-6)
