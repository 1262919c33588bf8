"""The Westminster road network: speed limits, routes, circuity."""

from __future__ import annotations

import pytest

from geo.distance import distance_m
from geo.loading import data_file
from geo.roads import RoadNetwork, limit_mph


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return RoadNetwork.from_graphml(data_file("westminster_drive_2024-02.graphml"))


@pytest.mark.parametrize(
    ("tag", "mph"),
    [("20 mph", 20.0), ("['30 mph', '20 mph']", 30.0), ("5 mph", 5.0), (None, 20.0), ("", 20.0)],
)
def test_limits(tag: str | None, mph: float) -> None:
    assert limit_mph(tag) == mph


def test_a_route_is_longer_than_the_straight_line(network: RoadNetwork) -> None:
    trafalgar, palace = (-0.1281, 51.5080), (-0.1419, 51.5014)
    road = network.route_m(*trafalgar, *palace)
    assert road is not None
    assert 1.0 < road / distance_m(*trafalgar, *palace) < 2.0
    seconds = network.drive_s(*trafalgar, *palace, speed_mps=10.0)
    assert seconds is not None
    assert seconds == pytest.approx(road / 10.0, rel=0.2)


def test_points_off_the_network_have_no_route(network: RoadNetwork) -> None:
    assert network.route_m(-0.1281, 51.5080, -0.4543, 51.4700) is None  # Heathrow
    assert network.drive_s(-0.4543, 51.4700, -0.1281, 51.5080, speed_mps=10.0) is None


def test_circuity_of_central_london(network: RoadNetwork) -> None:
    assert network.circuity(sources=20, min_m=500, max_m=5000, seed=1) == pytest.approx(
        1.3, abs=0.05
    )
