"""The named streets of a road graph: a point on each, and the street nearest a point.

An OSMnx edge holds its OSM way's name, or a list of names when simplification joined ways
("['Aldwych', 'Strand']"), and a LINESTRING when it is not straight. A two-way street appears
once per direction. A street's point is the middle of its longest continuous run, measured in
BNG metres, so it lies on the street, not in a block between its parts.
"""

from __future__ import annotations

import ast
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from geo.projection import from_bng, geometry_to_bng, to_bng, to_bng_many

NEAREST_STREET_MAX_M = 150.0  # farther than this from every street, a point is on none
# The concave hull of the graph's nodes at this ratio follows the borough's edge and keeps its
# parks (Hyde Park needs 0.3); beyond it the graph knows none of the streets, so says nothing.
COVERAGE_HULL_RATIO = 0.3


@dataclass(frozen=True, slots=True)
class Street:
    """A named street: a point on it (WGS84) and the length of the run that point is on."""

    name: str
    lon: float
    lat: float
    run_m: float


@dataclass(frozen=True, slots=True)
class NearestStreet:
    """The named street nearest a point, and how far it is (metres, BNG)."""

    name: str
    distance_m: float


def edge_names(value: Any) -> list[str]:
    """The names an edge's `name` attribute holds: none, one, or a list written as a literal."""
    if not isinstance(value, str) or not value.strip():
        return []
    if value.startswith("["):
        names = ast.literal_eval(value)
        return [name for name in names if isinstance(name, str) and name.strip()]
    return [value]


class StreetMap:
    """Every named street of an OSMnx drive graph, with a nearest-street index in BNG metres."""

    def __init__(self, graph: Any) -> None:
        nodes = {n: (float(data["x"]), float(data["y"])) for n, data in graph.nodes(data=True)}
        own: defaultdict[str, dict[bytes, Any]] = defaultdict(dict)  # edges of one name only
        shared: defaultdict[str, dict[bytes, Any]] = defaultdict(dict)  # edges of several names
        for source, target, data in graph.edges(data=True):
            names = edge_names(data.get("name"))
            if not names:
                continue
            wkt = data.get("geometry")
            line = (
                shapely.from_wkt(wkt)
                if isinstance(wkt, str)
                else shapely.LineString([nodes[source], nodes[target]])
            )
            # Both directions of a two-way street are one piece of it.
            key = shapely.to_wkb(shapely.normalize(line))
            for name in names:
                (own if len(names) == 1 else shared)[name][key] = line
        self.streets: tuple[Street, ...] = tuple(
            self._street(name, list((own.get(name) or shared[name]).values()))
            for name in sorted(own.keys() | shared.keys())
        )
        tree_names: list[str] = []
        tree_lines: list[Any] = []
        for pieces in (own, shared):
            for name, lines in pieces.items():
                tree_names.extend([name] * len(lines))
                tree_lines.extend(lines.values())
        self._tree_names = tree_names
        self._tree = shapely.STRtree(geometry_to_bng(np.array(tree_lines, dtype=object)))
        lons, lats = np.array(list(nodes.values())).T
        xs, ys = to_bng_many(lons, lats)
        self.coverage = shapely.concave_hull(
            shapely.multipoints(np.column_stack((xs, ys))), ratio=COVERAGE_HULL_RATIO
        )
        shapely.prepare(self.coverage)
        self._lock = threading.Lock()  # prepared geometries are not thread-safe (libgeos#825)

    def nearest(self, lon: float, lat: float) -> NearestStreet | None:
        """The named street within NEAREST_STREET_MAX_M of a point the graph covers, or None."""
        x, y = to_bng(lon, lat)
        with self._lock:
            if not shapely.contains_xy(self.coverage, x, y):
                return None
            hits, distances = self._tree.query_nearest(
                shapely.Point(x, y), max_distance=NEAREST_STREET_MAX_M, return_distance=True
            )
        if len(hits) == 0:
            return None
        # Equidistant pieces (a junction, a piece under two names): the lowest index, stably.
        return NearestStreet(self._tree_names[int(np.min(hits))], float(distances[0]))

    @staticmethod
    def _street(name: str, lines: list[Any]) -> Street:
        merged = shapely.line_merge(geometry_to_bng(shapely.multilinestrings(lines)))
        runs = shapely.get_parts(merged)
        longest = runs[int(np.argmax(shapely.length(runs)))]
        middle = shapely.line_interpolate_point(longest, 0.5, normalized=True)
        lon, lat = from_bng(float(shapely.get_x(middle)), float(shapely.get_y(middle)))
        return Street(name, lon, lat, float(shapely.length(longest)))
