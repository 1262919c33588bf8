"""Uncertainty circles on the real boundaries: straddling borough edges, the river, the edge."""

from __future__ import annotations

import math

import pytest

from geo import MAX_RADIUS_M, CircleLocation, Gazetteer, load_gazetteer


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def shares(circle: CircleLocation, level: str) -> dict[str, float]:
    return {area.name: round(area.share, 2) for area in circle.areas if area.level == level}


def check_consistent(circle: CircleLocation) -> None:
    """Shares add up at each level, and the list runs largest first."""
    boroughs = sum(area.share for area in circle.at_level("borough"))
    assert boroughs + circle.unlocated_share == pytest.approx(1.0, abs=1e-6)
    in_city = sum(a.share for a in circle.at_level("borough") if a.name == "City of London")
    bcus = sum(area.share for area in circle.at_level("bcu"))
    assert bcus == pytest.approx(boroughs - in_city, abs=1e-6)
    assert [a.share for a in circle.areas] == sorted((a.share for a in circle.areas), reverse=True)
    assert all(0.0 < area.share <= 1.0 + 1e-9 for area in circle.areas)


# Midpoints of shared borough edges: (lon, lat, boroughs sharing a 150 m circle, BCUs).
STRADDLING = [
    (-0.14964, 51.53057, {"Camden": 0.5, "Westminster": 0.5}, {"Central North", "Central West"}),
    (-0.08293, 51.54656, {"Islington": 0.65, "Hackney": 0.35}, {"Central North", "Central East"}),
    (-0.0938, 51.47141, {"Southwark": 0.77, "Lambeth": 0.23}, {"Central South"}),
    (-0.03727, 51.3802, {"Croydon": 0.5, "Bromley": 0.5}, {"South"}),
    (-0.40617, 51.53339, {"Ealing": 0.5, "Hillingdon": 0.5}, {"West"}),
    (-0.01783, 51.53202, {"Tower Hamlets": 0.55, "Newham": 0.45}, {"Central East", "North East"}),
    (-0.09519, 51.52311, {"Islington": 0.7, "City of London": 0.3}, {"Central North"}),
    (-0.14906, 51.6442, {"Barnet": 0.51, "Enfield": 0.49}, {"North West", "North"}),
]


@pytest.mark.parametrize(("lon", "lat", "boroughs", "bcus"), STRADDLING)
def test_circles_straddling_a_borough_edge_are_ambiguous(
    gazetteer: Gazetteer, lon: float, lat: float, boroughs: dict[str, float], bcus: set[str]
) -> None:
    circle = gazetteer.locate_circle(lon, lat, 150.0)
    assert circle.ambiguous
    assert shares(circle, "borough") == pytest.approx(boroughs, abs=0.011)
    assert set(shares(circle, "bcu")) == bcus
    assert circle.unlocated_share == pytest.approx(0.0, abs=1e-6)
    assert circle.at_level("ward")
    check_consistent(circle)


@pytest.mark.parametrize(
    ("lon", "lat", "radius_m", "borough"),
    [
        (-0.1281, 51.5080, 50.0, "Westminster"),  # Trafalgar Square
        (-0.0035, 51.5416, 100.0, "Newham"),  # Stratford
        (-0.4543, 51.4700, 1000.0, "Hillingdon"),  # Heathrow
        (-0.2736, 51.4425, 800.0, "Richmond upon Thames"),  # Richmond Park
    ],
)
def test_a_circle_inside_one_borough_is_not_ambiguous(
    gazetteer: Gazetteer, lon: float, lat: float, radius_m: float, borough: str
) -> None:
    circle = gazetteer.locate_circle(lon, lat, radius_m)
    assert not circle.ambiguous
    assert shares(circle, "borough") == {borough: 1.0}
    assert circle.centre.borough == borough
    assert circle.radius_m == radius_m
    check_consistent(circle)


def test_a_sliver_is_not_material(gazetteer: Gazetteer) -> None:
    """A circle barely over an edge touches two boroughs but is not ambiguous."""
    circle = gazetteer.locate_circle(-0.1281, 51.5080, 700.0)  # Trafalgar Square
    touched = shares(circle, "borough")
    assert set(touched) == {"Westminster", "Camden"}
    assert touched["Camden"] < 0.05
    assert not circle.ambiguous


def test_a_circle_on_the_river_is_partly_unlocated(gazetteer: Gazetteer) -> None:
    circle = gazetteer.locate_circle(-0.1225, 51.5008, 300.0)  # Westminster Bridge
    assert circle.centre.on_river
    assert 0.3 < circle.unlocated_share < 0.7
    assert set(shares(circle, "borough")) == {"Westminster", "Lambeth"}
    assert circle.ambiguous
    check_consistent(circle)


def test_a_circle_at_londons_edge_is_partly_outside(gazetteer: Gazetteer) -> None:
    circle = gazetteer.locate_circle(-0.1343, 51.2870, 1500.0)  # just south of Croydon
    assert circle.centre.outside_force_area
    assert 0.0 < circle.unlocated_share < 1.0
    assert "Croydon" in shares(circle, "borough")
    check_consistent(circle)


def test_a_circle_far_away_touches_nothing(gazetteer: Gazetteer) -> None:
    circle = gazetteer.locate_circle(0.0, 0.0, 5000.0)
    assert circle.areas == []
    assert circle.unlocated_share == 1.0
    assert not circle.ambiguous


def test_a_large_circle_covers_several_bcus(gazetteer: Gazetteer) -> None:
    circle = gazetteer.locate_circle(-0.1281, 51.5080, 10_000.0)
    assert len(circle.at_level("bcu")) >= 8
    check_consistent(circle)


@pytest.mark.parametrize("radius_m", [0.0, -5.0, math.nan, math.inf, MAX_RADIUS_M + 1])
def test_bad_radii_are_rejected(gazetteer: Gazetteer, radius_m: float) -> None:
    with pytest.raises(ValueError, match="radius_m"):
        gazetteer.locate_circle(-0.1281, 51.5080, radius_m)
