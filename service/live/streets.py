"""The Westminster drive graph's roads as light GeoJSON for the console's map, once per process:
the streets we hold, drawn as vectors from our own data (no tile server)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from shapely import wkt

from geo.loading import data_file
from geo.place_loading import ROADS_FILE
from geo.roads import read_road_graph

_DECIMALS = 5  # about a metre
# Drawn heavier: the roads a crew is sent along.
MAJOR = frozenset({"motorway", "trunk", "primary", "secondary"})


def road_class(highway: object) -> str:
    """`major` or `minor` for an OSM highway tag (a list written as text when ways were joined)."""
    return "major" if MAJOR.intersection(re.findall(r"[a-z_]+", str(highway or ""))) else "minor"


@functools.cache
def streets_geojson() -> bytes:
    """Two MultiLineString features (`class` major and minor), each road once (not per
    direction), coordinates rounded to 5 decimals."""
    graph = read_road_graph(data_file(ROADS_FILE))
    nodes = {n: (float(d["x"]), float(d["y"])) for n, d in graph.nodes(data=True)}
    lines: dict[str, list[list[list[float]]]] = {"major": [], "minor": []}
    seen: set[tuple[frozenset[str], str]] = set()
    for source, target, data in graph.edges(data=True):
        geometry = data.get("geometry") or ""
        # A two-way street is one edge per direction, the second its first reversed.
        key = (frozenset((source, target)), str(data.get("osmid", "")))
        if key in seen:
            continue
        seen.add(key)
        coords = list(wkt.loads(geometry).coords) if geometry else [nodes[source], nodes[target]]
        rounded = [[round(x, _DECIMALS), round(y, _DECIMALS)] for x, y in coords]
        lines[road_class(data.get("highway"))].append(rounded)
    features: list[dict[str, Any]] = [
        {"type": "Feature", "properties": {"class": kind},
         "geometry": {"type": "MultiLineString", "coordinates": parts}}
        for kind, parts in lines.items()
    ]  # fmt: skip
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, separators=(",", ":")).encode()
