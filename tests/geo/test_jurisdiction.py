"""Whose call a point is: the Met's, the City of London Police's, or the neighbouring force by
the nearest stretch of London's boundary (geo/jurisdiction.py, its data file in geo/data)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import shapely

from geo import Jurisdiction, load_gazetteer, load_jurisdictions
from geo.data_loading import GeoDataError
from geo.jurisdiction import CITY_NAME, MET_NAME, UNKNOWN_FORCE, NeighbourForces, Stretch

PLACES = {
    # the brief's places
    "City of London (Bank)": ((-0.0886, 51.5133), CITY_NAME),
    "Watford": ((-0.3963, 51.6565), "Hertfordshire Constabulary"),
    "Dartford": ((0.2181, 51.4462), "Kent Police"),
    "Slough": ((-0.5950, 51.5105), "Thames Valley Police"),
    "Epsom": ((-0.2700, 51.3360), "Surrey Police"),
    "Epping": ((0.1107, 51.6995), "Essex Police"),
    # where one borough borders two forces, split by bearing
    "Rickmansworth (Hillingdon, north)": ((-0.4730, 51.6390), "Hertfordshire Constabulary"),
    "Gerrards Cross (Hillingdon, west)": ((-0.5550, 51.5860), "Thames Valley Police"),
    "Staines (Hillingdon, south-west)": ((-0.5103, 51.4340), "Surrey Police"),
    "Cheshunt (Enfield, north)": ((-0.0330, 51.7020), "Hertfordshire Constabulary"),
    "Waltham Abbey (Enfield, east)": ((0.0000, 51.6870), "Essex Police"),
    "Westerham (Bromley, south-east)": ((0.0750, 51.2660), "Kent Police"),
    "Oxted (Bromley, south-west)": ((-0.0040, 51.2570), "Surrey Police"),
    "Grays (Havering, across the Thames)": ((0.3250, 51.4760), "Essex Police"),
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_the_force_of_each_place(place: str) -> None:
    (lon, lat), force = PLACES[place]
    where = load_jurisdictions().jurisdiction(load_gazetteer().locate(lon, lat))
    assert where.force == force
    assert where.transfer is True
    assert where.ambiguous is False


def test_the_met_keeps_its_boroughs_and_the_river() -> None:
    gazetteer, forces = load_gazetteer(), load_jurisdictions()
    trafalgar = forces.jurisdiction(gazetteer.locate(-0.1281, 51.5080))
    assert (trafalgar.force, trafalgar.transfer) == (MET_NAME, False)
    bank = gazetteer.locate(-0.0500, 51.5055)  # the Thames off Rotherhithe, snapped to its bank
    assert bank.on_river
    assert forces.jurisdiction(bank).force == MET_NAME
    # Farther than a bank's reach the tidal Thames is no borough's, but still London's river.
    mid_river = replace(bank, borough=None, bcu=None, force="none", in_force_area=False)
    assert forces.jurisdiction(mid_river) == Jurisdiction(MET_NAME, False, "on the tidal Thames")


def test_far_beyond_london_names_no_force() -> None:
    forces, gazetteer = load_jurisdictions(), load_gazetteer()
    assert forces.jurisdiction(gazetteer.locate(-2.2400, 53.4800)).force == UNKNOWN_FORCE
    assert forces.jurisdiction(gazetteer.locate(0.0, 0.0)).force == UNKNOWN_FORCE


def test_an_ambiguous_circle_is_flagged() -> None:
    gazetteer = load_gazetteer()
    circle = gazetteer.locate_circle(-0.1300, 51.5165, 400)  # Camden and Westminster
    assert load_jurisdictions().jurisdiction(circle.centre, circle).ambiguous is True


def test_real_force_areas_are_asked_first() -> None:
    watford = shapely.box(-0.45, 51.62, -0.35, 51.70)
    forces = NeighbourForces(
        load_gazetteer().boroughs, {"Harrow": [Stretch(0, 360, "Hertfordshire Constabulary")]},
        max_distance_m=50_000, force_areas={"A Force From ONS": watford},
    )  # fmt: skip
    assert forces.force_at(-0.3963, 51.6565) == ("A Force From ONS", "in its force area")
    assert forces.force_at(-0.2000, 51.6700)[0] == "Hertfordshire Constabulary"


def test_bearings_must_cover_the_circle_once() -> None:
    boroughs = load_gazetteer().boroughs
    with pytest.raises(GeoDataError, match="not contiguous"):
        NeighbourForces(boroughs, {"Harrow": [Stretch(0, 90, "A"), Stretch(100, 360, "B")]},
                        max_distance_m=1)  # fmt: skip
    with pytest.raises(GeoDataError, match="stop at 270"):
        NeighbourForces(boroughs, {"Harrow": [Stretch(0, 270, "A")]}, max_distance_m=1)
    with pytest.raises(GeoDataError, match="no borough"):
        NeighbourForces(boroughs, {"Watford": [Stretch(0, 360, "A")]}, max_distance_m=1)
