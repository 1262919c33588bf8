"""The road graph's streets: a point on each, and the street nearest a point."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import shapely

from geo import load_streets
from geo.loading import data_file
from geo.projection import geometry_to_bng, to_bng
from geo.roads import read_road_graph
from geo.streets import NEAREST_STREET_MAX_M, edge_names


@pytest.fixture(scope="module")
def lines_by_name() -> dict[str, Any]:
    """Every named street's lines, in BNG, read from the graph independently of StreetMap."""
    graph = read_road_graph(data_file("westminster_drive_2024-02.graphml"))
    lines: defaultdict[str, list[Any]] = defaultdict(list)
    for source, target, data in graph.edges(data=True):
        wkt = data.get("geometry")
        line = (
            shapely.from_wkt(wkt)
            if wkt
            else shapely.LineString(
                [(float(graph.nodes[n]["x"]), float(graph.nodes[n]["y"])) for n in (source, target)]
            )
        )
        for name in edge_names(data.get("name")):
            lines[name].append(line)
    return {name: geometry_to_bng(shapely.multilinestrings(ls)) for name, ls in lines.items()}


def test_every_street_has_a_point_on_it(lines_by_name: dict[str, Any]) -> None:
    streets = load_streets().streets
    assert {street.name for street in streets} == set(lines_by_name)
    assert len(streets) > 1_300
    for street in streets:
        point = shapely.Point(*to_bng(street.lon, street.lat))
        assert shapely.distance(lines_by_name[street.name], point) < 0.5, street
        assert street.run_m > 0


def test_a_long_street_is_placed_midway_along_its_longest_run() -> None:
    oxford = next(s for s in load_streets().streets if s.name == "Oxford Street")
    # Oxford Street runs from Marble Arch (-0.159) to St Giles (-0.131): its middle is near Bond
    # Street station, not at either end.
    assert -0.152 < oxford.lon < -0.138
    assert oxford.run_m > 1_000


def test_edge_names() -> None:
    assert edge_names("['Aldwych', 'Strand']") == ["Aldwych", "Strand"]
    assert edge_names("Strand") == ["Strand"]
    assert edge_names(None) == []
    assert edge_names("  ") == []


@pytest.mark.parametrize(
    ("lon", "lat", "street", "within_m"),
    [
        (-0.14500, 51.51520, "Oxford Street", 40.0),  # by John Lewis
        (-0.12805, 51.50800, "Trafalgar Square", 60.0),
        (-0.15490, 51.52290, "Marylebone Road", 40.0),  # Madame Tussauds' side
    ],
)
def test_the_nearest_street(lon: float, lat: float, street: str, within_m: float) -> None:
    nearest = load_streets().nearest(lon, lat)
    assert nearest is not None
    assert nearest.name == street
    assert 0 <= nearest.distance_m <= within_m


def test_a_point_on_a_street_is_zero_metres_from_it() -> None:
    strand = next(s for s in load_streets().streets if s.name == "Strand")
    nearest = load_streets().nearest(strand.lon, strand.lat)
    assert nearest is not None
    assert nearest.distance_m < 0.5


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (-0.1925, 51.5010),  # Kensington High Street: beyond the graph
        (-0.1200, 51.5174),  # Holborn, in Camden, a few hundred metres off Westminster
        (-0.1132, 51.5031),  # Waterloo, across the river
        (-0.1657, 51.5073),  # the middle of Hyde Park: inside, but no street within 150 m
        (0.0, 0.0),  # far from everywhere
        (180.0, 90.0),
    ],
)
def test_no_street_where_the_graph_has_none(lon: float, lat: float) -> None:
    assert load_streets().nearest(lon, lat) is None


def test_the_distance_cut_off_inside_the_graph() -> None:
    # Walking east across Hyde Park from the Serpentine Bridge: 131 m off it still names it; a
    # little farther (about 159 m) nothing is within the cut-off.
    streets = load_streets()
    near = streets.nearest(-0.1685, 51.5073)
    assert near is not None
    assert near.name == "Serpentine Bridge"
    assert 120 < near.distance_m < NEAREST_STREET_MAX_M
    assert shapely.contains_xy(streets.coverage, *to_bng(-0.1681, 51.5073))
    assert streets.nearest(-0.1681, 51.5073) is None
