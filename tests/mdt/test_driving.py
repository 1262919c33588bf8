"""The simulator's movement and job times: straight lines at realistic speeds, seeded."""

from __future__ import annotations

import random

import pytest

from geo import distance_m
from service.demo.driving import (
    ON_SCENE_S,
    PATROL_SPEED_MPS,
    REACTION_S,
    Leg,
    blue_light_leg,
    draw_job_times,
    patrol_leg,
)

BASE = (-0.1300, 51.5100)
SCENE = (-0.1281, 51.5080)


@pytest.mark.parametrize(
    ("elapsed", "share"), [(-5.0, 0.0), (0.0, 0.0), (30.0, 0.5), (60.0, 1.0), (600.0, 1.0)]
)
def test_a_leg_is_a_straight_line_walked_at_even_speed(elapsed: float, share: float) -> None:
    leg = Leg(0.0, 51.0, 0.02, 51.02, 60.0)
    lon, lat = leg.position_at(elapsed)
    assert lon == pytest.approx(0.02 * share)
    assert lat == pytest.approx(51.0 + 0.02 * share)


@pytest.mark.parametrize(
    ("to", "heading"), [((0.0, 51.1), 0.0), ((0.1, 51.0), 90.0), ((0.0, 50.9), 180.0),
                        ((-0.1, 51.0), 270.0)],
)  # fmt: skip
def test_headings_are_compass_bearings(to: tuple[float, float], heading: float) -> None:
    assert Leg(0.0, 51.0, *to, 10.0).heading == pytest.approx(heading, abs=0.01)


@pytest.mark.parametrize("metres", [200.0, 2_000.0, 15_000.0])
def test_blue_lights_are_faster_than_patrol_and_plausible(metres: float) -> None:
    scene = (BASE[0], BASE[1] + metres / 111_250.0)
    blue, back = blue_light_leg(BASE, scene), patrol_leg(scene, BASE)
    assert blue.length_m == pytest.approx(distance_m(*BASE, *scene))
    assert 3.0 < blue.speed_mps < 25.0  # 11 to 90 km/h through London, start-up time included
    assert back.speed_mps == pytest.approx(PATROL_SPEED_MPS)


def test_a_leg_of_no_length_is_over_at_once() -> None:
    leg = Leg(*BASE, *BASE, 0.0)
    assert (leg.speed_mps, leg.position_at(0.0)) == (0.0, BASE)


def test_job_times_are_realistic_and_repeat_with_the_seed() -> None:
    first = [draw_job_times(random.Random("7:CW01")) for _ in range(3)]
    again = [draw_job_times(random.Random("7:CW01")) for _ in range(3)]
    assert first == again
    other = draw_job_times(random.Random("7:CW02"))
    assert other != first[0]
    for times in first:
        assert REACTION_S[0] <= times.reaction_s <= REACTION_S[1]
        assert ON_SCENE_S[0] <= times.on_scene_s <= ON_SCENE_S[1]
