"""Locating points on the real boundaries: checked spots, the river, the City, beyond London."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo import BCUS, BOROUGH_BCU, CITY_OF_LONDON, Gazetteer, PointLocation, load_gazetteer


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


# (lon, lat, borough, ward or None, bcu). The first four are the data README's checked points.
INSIDE = [
    (-0.1281, 51.5080, "Westminster", "St James's", "CW"),
    (-0.4543, 51.4700, "Hillingdon", "Heathrow Villages", "WE"),
    (-0.0035, 51.5416, "Newham", "Stratford and New Town", "NE"),
    (-0.1419, 51.5014, "Westminster", "St James's", "CW"),  # Buckingham Palace
    (-0.2795, 51.5560, "Brent", "Tokyngton", "NW"),  # Wembley Stadium
    (-0.0665, 51.6043, "Haringey", "Northumberland Park", "NO"),  # Tottenham Hotspur
    (-0.0982, 51.3762, "Croydon", "Fairfield", "SO"),
    (0.1837, 51.5751, "Havering", "Romford Town", "EA"),
    (-0.3064, 51.4123, "Kingston upon Thames", "Grove", "SW"),
    (-0.4782, 51.5464, "Hillingdon", "Uxbridge North", "WE"),
    (0.0140, 51.4060, "Bromley", "Bromley Town", "SO"),
    (0.1503, 51.4545, "Bexley", "Christchurch", "SE"),
    (-0.1145, 51.4613, "Lambeth", "Coldharbour", "CS"),  # Brixton
    (-0.0235, 51.5054, "Tower Hamlets", "Millwall", "CE"),  # Canary Wharf
    (-0.1426, 51.5390, "Camden", "Camden Town with Primrose Hill", "CN"),
    (-0.2736, 51.4425, "Richmond upon Thames", None, "SW"),  # Richmond Park
    (-0.0015, 51.4769, "Greenwich", "Greenwich West", "SE"),  # the Observatory
    (0.0741, 51.5588, "Redbridge", "Clementswood", "EA"),  # Ilford
    (-0.0200, 51.5830, "Waltham Forest", "High Street", "NE"),  # Walthamstow
    (-0.0824, 51.6523, "Enfield", "Town", "NO"),
    (-0.3346, 51.5806, "Harrow", "Greenhill", "NW"),
    (-0.1947, 51.3618, "Sutton", "Sutton Central", "SO"),
    (-0.2064, 51.4214, "Merton", "Hillside", "SW"),  # Wimbledon
    (-0.3610, 51.4680, "Hounslow", "Hounslow Central", "WE"),
    (-0.3019, 51.5150, "Ealing", "Ealing Broadway", "WE"),
    (-0.2240, 51.5046, "Hammersmith and Fulham", "Shepherd's Bush Green", "CW"),
    (-0.1966, 51.5090, "Kensington and Chelsea", "Campden", "CW"),  # Notting Hill
    (-0.1057, 51.5322, "Islington", "St Peter's", "CN"),  # the Angel
    (-0.0691, 51.4740, "Southwark", "Peckham", "CS"),
    (-0.0139, 51.4615, "Lewisham", "Lewisham Central", "SE"),
    (0.0814, 51.5396, "Barking and Dagenham", "Abbey", "EA"),
    (-0.1880, 51.4567, "Wandsworth", "Fairfield", "SW"),
    (-0.0553, 51.5470, "Hackney", "Hackney Central", "CE"),
    (-0.2000, 51.6531, "Barnet", "High Barnet", "NW"),
    (0.0553, 51.5048, "Newham", "Royal Docks", "NE"),  # City Airport
]


@pytest.mark.parametrize(("lon", "lat", "borough", "ward", "bcu"), INSIDE)
def test_points_in_the_met_area(
    gazetteer: Gazetteer, lon: float, lat: float, borough: str, ward: str | None, bcu: str
) -> None:
    place = gazetteer.locate(lon, lat)
    assert (place.borough, place.bcu, place.nearest_bcu) == (borough, bcu, bcu)
    if ward is not None:
        assert place.ward == ward
    assert place.bcu_name == BCUS[bcu]
    assert place.force == "MPS"
    assert place.in_force_area
    assert not place.on_river
    assert not place.outside_force_area
    assert place.distance_to_boundary_m is None
    assert str(place.gss_code).startswith("E09")
    assert str(place.ward_code).startswith("E36")


@pytest.mark.parametrize(
    ("lon", "lat", "nearest_bcu"),
    [
        (-0.0886, 51.5133, "CN"),  # Bank, the README's checked point
        (-0.1019, 51.5155, "CN"),  # the Old Bailey
        (-0.0817, 51.5178, "CE"),  # Liverpool Street
        (-0.0787, 51.5115, "CE"),  # Fenchurch Street
    ],
)
def test_the_city_is_its_own_force(
    gazetteer: Gazetteer, lon: float, lat: float, nearest_bcu: str
) -> None:
    place = gazetteer.locate(lon, lat)
    assert place.borough == CITY_OF_LONDON
    assert place.gss_code == "E09000001"
    assert place.force == "CoLP"
    assert not place.in_force_area
    assert place.bcu is None
    assert place.bcu_name is None
    assert place.nearest_bcu == nearest_bcu
    assert not place.outside_force_area


# Mid-river points (tidal Thames, in no borough) and the bank they are nearest.
RIVER = [
    (-0.1225, 51.5008, "Westminster", "CW"),  # Westminster Bridge, the README's river point
    (-0.0754, 51.5055, "Tower Hamlets", "CE"),  # Tower Bridge
    (-0.1168, 51.5085, "Lambeth", "CS"),  # Waterloo Bridge
    (-0.0939, 51.5087, "Southwark", "CS"),  # Southwark Bridge
    (-0.1497, 51.4846, "Westminster", "CW"),  # Chelsea Bridge
    (-0.1570, 51.4831, "Wandsworth", "SW"),  # off Battersea Park
    (-0.2132, 51.4668, "Wandsworth", "SW"),  # Putney Bridge
    (-0.2870, 51.4871, "Hounslow", "WE"),  # Kew
    (-0.3080, 51.4579, "Richmond upon Thames", "SW"),  # Richmond Bridge
    (0.0620, 51.4960, "Greenwich", "SE"),  # Woolwich ferry
    (0.0365, 51.4965, "Greenwich", "SE"),  # the Thames Barrier
    (0.1790, 51.4850, "Bexley", "SE"),  # Erith
    (0.1900, 51.4870, "Havering", "EA"),  # Erith reach, north side
]


@pytest.mark.parametrize(("lon", "lat", "borough", "bcu"), RIVER)
def test_river_points_take_the_nearest_bank(
    gazetteer: Gazetteer, lon: float, lat: float, borough: str, bcu: str
) -> None:
    place = gazetteer.locate(lon, lat)
    assert place.on_river
    assert (place.borough, place.bcu, place.nearest_bcu) == (borough, bcu, bcu)
    assert place.ward is not None
    assert place.in_force_area
    assert not place.outside_force_area
    assert place.distance_to_boundary_m is not None
    assert 0 < place.distance_to_boundary_m < 300


def test_a_river_point_off_the_city_is_the_citys(gazetteer: Gazetteer) -> None:
    place = gazetteer.locate(-0.0877, 51.5079)  # London Bridge
    assert place.on_river
    assert place.borough == CITY_OF_LONDON
    assert place.force == "CoLP"
    assert place.nearest_bcu == "CS"


def test_the_river_snap_distance_is_configurable() -> None:
    strict = load_gazetteer(river_snap_m=50.0)
    place = strict.locate(-0.1225, 51.5008)  # 76 m from the Westminster bank
    assert place.on_river
    assert place.borough is None
    assert place.force == "none"
    assert not place.outside_force_area
    assert place.nearest_bcu == "CW"


# Places beyond Greater London: the nearest BCU and the distance to London, in km (rough).
OUTSIDE = [
    (-0.2674, 51.3360, "SW", 2.5),  # Epsom
    (0.2180, 51.4440, "SE", 1.5),  # Dartford
    (-0.3963, 51.6565, "NW", 4.3),  # Watford
    (-0.5100, 51.4330, "WE", 3.5),  # Staines
    (-0.5950, 51.5105, "WE", 7.1),  # Slough
    (-0.0310, 51.7000, "NO", 1.9),  # Cheshunt
    (0.3050, 51.6210, "EA", 3.1),  # Brentwood
    (0.3260, 51.4780, "EA", 6.2),  # Grays
    (-0.1700, 51.6900, "NO", 0.5),  # Potters Bar
    (-0.1343, 51.2870, "SO", 0.6),  # just south of Croydon
    (-3.1883, 55.9533, "WE", 512.0),  # Edinburgh
    (2.3522, 48.8566, "SO", 316.0),  # Paris: beyond the national grid, geodesic
    (0.0, 0.0, "SO", 5684.0),  # "null island", a classic broken fix
]


@pytest.mark.parametrize(("lon", "lat", "nearest_bcu", "km"), OUTSIDE)
def test_points_outside_london_are_not_errors(
    gazetteer: Gazetteer, lon: float, lat: float, nearest_bcu: str, km: float
) -> None:
    place = gazetteer.locate(lon, lat)
    assert place.outside_force_area
    assert not place.on_river
    assert not place.in_force_area
    assert place.force == "none"
    assert (place.borough, place.bcu, place.ward) == (None, None, None)
    assert place.nearest_bcu == nearest_bcu
    assert place.distance_to_boundary_m == pytest.approx(km * 1000, rel=0.03)


@pytest.mark.parametrize("offset_m", [20.0, 100.0, 1000.0])
def test_distance_to_the_boundary_is_metres(gazetteer: Gazetteer, offset_m: float) -> None:
    """Points `offset_m` outside London's edge (BNG buffer) report that distance."""
    import shapely
    from pyproj import Transformer

    from geo.projection import geometry_to_bng

    london = geometry_to_bng(shapely.union_all([b.geometry for b in gazetteer.boroughs]))
    edge = shapely.buffer(london, offset_m, quad_segs=64).exterior
    points = shapely.line_interpolate_point(
        edge, np.linspace(0, 1, 60, endpoint=False), normalized=True
    )
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lons, lats = to_wgs84.transform(shapely.get_x(points), shapely.get_y(points))
    places = [gazetteer.locate(lon, lat) for lon, lat in zip(lons, lats, strict=True)]
    # London's outer edge runs up both banks of the tidal Thames, as far as Teddington.
    assert all(place.outside_force_area != place.on_river for place in places)
    assert sum(place.outside_force_area for place in places) >= 30
    for place in places:
        assert place.distance_to_boundary_m == pytest.approx(offset_m, abs=1.0)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(math.nan, 51.5), (-0.1, math.nan), (math.inf, 51.5), (181.0, 51.5), (-0.1, -91.0)],
)
def test_bad_coordinates_are_rejected(gazetteer: Gazetteer, lon: float, lat: float) -> None:
    with pytest.raises(ValueError, match="not a WGS84 point"):
        gazetteer.locate(lon, lat)


def test_bcus_are_the_met_boroughs(gazetteer: Gazetteer) -> None:
    assert len(BCUS) == 12
    names = {b.name for b in gazetteer.boroughs}
    assert len(names) == 33
    assert set(BOROUGH_BCU) == names - {CITY_OF_LONDON}
    assert set(BOROUGH_BCU.values()) == set(BCUS)


def test_every_ward_lies_in_its_borough(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.wards) == 628
    import shapely

    for ward in gazetteer.wards[::7]:
        centre = shapely.point_on_surface(ward.geometry)
        place: PointLocation = gazetteer.locate(centre.x, centre.y)
        if not place.on_river:
            assert place.gss_code == ward.borough_code


def test_batch_agrees_with_single_points(gazetteer: Gazetteer) -> None:
    rng = np.random.default_rng(7)
    lons = rng.uniform(-0.52, 0.34, 4000)
    lats = rng.uniform(51.28, 51.70, 4000)
    batch = gazetteer.locate_many(lons, lats)
    for i in range(len(lons)):
        place = gazetteer.locate(float(lons[i]), float(lats[i]))
        index = int(batch.borough[i])
        if index < 0:
            assert place.borough is None or place.on_river
            assert batch.bcu[i] == ""
            continue
        assert gazetteer.boroughs[index].name == place.borough
        assert batch.bcu[i] == (place.bcu or "")
        assert bool(batch.in_force_area[i]) == place.in_force_area
        if batch.ward[i] >= 0:
            assert gazetteer.wards[int(batch.ward[i])].name == place.ward


def test_batch_rejects_mismatched_arrays(gazetteer: Gazetteer) -> None:
    with pytest.raises(ValueError, match="alike"):
        gazetteer.locate_many(np.zeros(3), np.zeros(4))


def test_batch_handles_nan_and_far_points(gazetteer: Gazetteer) -> None:
    batch = gazetteer.locate_many(
        np.array([math.nan, 100.0, -0.1281]), np.array([51.5, 0.0, 51.5080])
    )
    assert batch.borough.tolist()[:2] == [-1, -1]
    assert batch.bcu.tolist() == ["", "", "CW"]
