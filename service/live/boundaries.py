"""London's boroughs and the 12 BCUs as light GeoJSON for the map, simplified once per process."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

from geo import BCUS, BOROUGH_BCU, CITY_OF_LONDON

# Metres in British National Grid: at this tolerance the outlines stay true at city zoom levels
# and the file shrinks from 2 MB to a few tens of kB.
TOLERANCE_M = 40.0
_DECIMALS = 5  # about a metre


@functools.cache
def boundaries_geojson() -> bytes:
    """The FeatureCollection: 33 boroughs (kind=borough) then the 12 BCUs (kind=bcu)."""
    source = resources.files("geo") / "data" / "boroughs.geojson"
    document = json.loads(source.read_text(encoding="utf-8"))
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    boroughs: dict[str, Any] = {}
    for feature in document["features"]:
        name = feature["properties"]["NAME"]
        boroughs[name] = shapely.transform(
            shape(feature["geometry"]), lambda c: _apply(to_bng, c)
        ).buffer(0)
    features = []
    for name, geometry in sorted(boroughs.items()):
        bcu = BOROUGH_BCU.get(name, "CoLP" if name == CITY_OF_LONDON else "")
        features.append(_feature(geometry, to_wgs, kind="borough", name=name, bcu=bcu))
    for code, bcu_name in BCUS.items():
        members = [g for n, g in boroughs.items() if BOROUGH_BCU.get(n) == code]
        # A little buffer closes the slivers between neighbouring borough outlines.
        merged = shapely.union_all([g.buffer(1.0) for g in members]).buffer(-1.0)
        features.append(_feature(merged, to_wgs, kind="bcu", name=bcu_name, bcu=code))
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, separators=(",", ":")).encode()


def _apply(transformer: Transformer, coords: Any) -> Any:
    xs, ys = transformer.transform(coords[:, 0], coords[:, 1])
    return np.column_stack((xs, ys))


def _feature(geometry: Any, to_wgs: Transformer, **properties: str) -> dict[str, Any]:
    simple = geometry.simplify(TOLERANCE_M, preserve_topology=True)
    wgs = shapely.transform(simple, lambda c: _apply(to_wgs, c))
    rounded = shapely.set_precision(wgs, 10**-_DECIMALS)
    return {"type": "Feature", "properties": properties, "geometry": mapping(rounded)}
