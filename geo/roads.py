"""A road-network ETA on an OSMnx drive graph (Westminster): the fastest route, not a straight line.

Edge speed on blue lights is the calibrated inner-London road speed scaled by the edge's limit
over 20 mph (the limit on 99% of the graph's edges; edges without one default to it).
"""

from __future__ import annotations

import math
import re
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

from geo.distance import distances_m

DEFAULT_LIMIT_MPH = 20.0
MAX_SNAP_M = 150.0  # a point farther than this from every node is off the network
_MPH = re.compile(r"(\d+(?:\.\d+)?)\s*mph")


def limit_mph(maxspeed: str | None) -> float:
    """The highest limit in an OSM maxspeed tag ("20 mph", "['30 mph', '20 mph']")."""
    limits = [float(value) for value in _MPH.findall(maxspeed or "")]
    return max(limits) if limits else DEFAULT_LIMIT_MPH


def read_road_graph(source: Path | Traversable) -> Any:
    """The networkx graph of an OSMnx GraphML export (nodes x/y; edges length, name, geometry)."""
    with source.open("rb") as stream:
        return nx.read_graphml(stream)


class RoadNetwork:
    """Shortest road distances and blue-light drive times between lon/lat points."""

    def __init__(self, graph: Any) -> None:
        self._graph = nx.DiGraph()
        for source, target, data in graph.edges(data=True):
            length = float(data["length"])
            # Time per metre at a speed of 1 m/s on a 20 mph road: divide by the speed later.
            pace = length * DEFAULT_LIMIT_MPH / limit_mph(data.get("maxspeed"))
            known = self._graph.get_edge_data(source, target)
            if known is None or known["pace"] > pace:  # parallel edges: keep the fastest
                self._graph.add_edge(source, target, length=length, pace=pace)
        self._nodes = list(self._graph.nodes)
        self._node_at = {node: i for i, node in enumerate(self._nodes)}
        self._lons = np.array([float(graph.nodes[node]["x"]) for node in self._nodes])
        self._lats = np.array([float(graph.nodes[node]["y"]) for node in self._nodes])

    @classmethod
    def from_graphml(cls, source: Path | Traversable) -> RoadNetwork:
        """A network read from an OSMnx GraphML export."""
        return cls(read_road_graph(source))

    def snap(self, lon: float, lat: float) -> tuple[Any, float] | None:
        """The node nearest a point and its distance in metres; None beyond MAX_SNAP_M."""
        distances = distances_m(lon, lat, self._lons, self._lats)
        best = int(np.argmin(distances))
        return None if distances[best] > MAX_SNAP_M else (self._nodes[best], float(distances[best]))

    def route_m(self, lon1: float, lat1: float, lon2: float, lat2: float) -> float | None:
        """Shortest road distance in metres, snapping included; None off the network."""
        return self._shortest(lon1, lat1, lon2, lat2, "length")

    def drive_s(
        self, lon1: float, lat1: float, lon2: float, lat2: float, *, speed_mps: float
    ) -> float | None:
        """Fastest drive in seconds at `speed_mps` on 20 mph roads; None off the network."""
        pace = self._shortest(lon1, lat1, lon2, lat2, "pace")
        return None if pace is None else pace / speed_mps

    def circuity(self, *, sources: int, min_m: float, max_m: float, seed: int) -> float:
        """Median road over straight-line distance between node pairs `min_m`..`max_m` apart."""
        rng = np.random.default_rng(seed)
        ratios: list[npt.NDArray[np.float64]] = []
        for start in rng.choice(len(self._nodes), size=sources, replace=False).tolist():
            lengths = nx.single_source_dijkstra_path_length(
                self._graph, self._nodes[start], weight="length"
            )
            reached = np.array([self._node_at[node] for node in lengths])
            road = np.array(list(lengths.values()))
            straight = distances_m(
                self._lons[start], self._lats[start], self._lons[reached], self._lats[reached]
            )
            keep = (straight >= min_m) & (straight <= max_m)
            ratios.append(road[keep] / straight[keep])
        return float(np.median(np.concatenate(ratios)))

    def _shortest(
        self, lon1: float, lat1: float, lon2: float, lat2: float, weight: str
    ) -> float | None:
        start, end = self.snap(lon1, lat1), self.snap(lon2, lat2)
        if start is None or end is None:
            return None
        try:
            cost = float(nx.shortest_path_length(self._graph, start[0], end[0], weight=weight))
        except nx.NetworkXNoPath:
            return None
        # The walk on and off the network counts as road at the 20 mph pace.
        return cost + start[1] + end[1] if math.isfinite(cost) else None
