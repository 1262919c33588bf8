"""Area polygons from GeoJSON: validated, repaired where repairable, rejected by feature name."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape

_POLYGONAL = ("Polygon", "MultiPolygon")
# What shapely raises on malformed GeoJSON coordinates varies with the malformation.
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, GEOSException)


class GeoDataError(ValueError):
    """A geometry file that cannot be used; the message names the file and the feature."""


@dataclass(frozen=True)
class AreaFeature:
    """One area of a boundary file: its name, code, properties and a valid polygonal geometry."""

    name: str
    code: str
    properties: Mapping[str, Any]
    geometry: Any  # shapely Polygon or MultiPolygon, valid, lon/lat degrees
    repaired: bool


def read_json(source: Path | Traversable) -> Any:
    """The parsed JSON document of a file, or GeoDataError naming the file."""
    try:
        return json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GeoDataError(f"{source.name}: cannot read JSON: {exc}") from exc


def read_areas(source: Path | Traversable, *, name_key: str, code_key: str) -> list[AreaFeature]:
    """Every feature of a GeoJSON FeatureCollection file as an AreaFeature."""
    return parse_areas(read_json(source), label=source.name, name_key=name_key, code_key=code_key)


def parse_areas(document: Any, *, label: str, name_key: str, code_key: str) -> list[AreaFeature]:
    """Every feature of a parsed FeatureCollection; `label` names the source in errors."""
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise GeoDataError(f"{label}: not a GeoJSON FeatureCollection")
    features: list[Any] = document["features"]
    if not features:
        raise GeoDataError(f"{label}: the FeatureCollection has no features")
    return [
        _parse_feature(feature, f"{label}: feature {index}", name_key, code_key)
        for index, feature in enumerate(features)
    ]


def _parse_feature(feature: Any, where: str, name_key: str, code_key: str) -> AreaFeature:
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise GeoDataError(f"{where}: not a GeoJSON Feature with properties")
    properties: dict[str, Any] = feature["properties"]
    name = properties.get(name_key)
    if not isinstance(name, str) or not name:
        raise GeoDataError(f"{where}: property {name_key!r} is missing or not a string")
    where = f"{where} ({name!r})"
    code = properties.get(code_key)
    if not isinstance(code, str) or not code:
        raise GeoDataError(f"{where}: property {code_key!r} is missing or not a string")
    geometry = polygonal_geometry(feature.get("geometry"), where)
    repaired = not geometry.is_valid
    if repaired:
        geometry = _repair(geometry, where)
    return AreaFeature(name, code, properties, geometry, repaired)


def polygonal_geometry(mapping: Any, where: str) -> Any:
    """A shapely (Multi)Polygon in lon/lat from a GeoJSON geometry, or GeoDataError at `where`."""
    if not isinstance(mapping, dict) or mapping.get("type") not in _POLYGONAL:
        raise GeoDataError(f"{where}: geometry is missing or not a Polygon/MultiPolygon")
    try:
        # NaN coordinates are refused below, by name; numpy's warning about them would not name it.
        with np.errstate(invalid="ignore"):
            geometry = shape(mapping)
    except _PARSE_ERRORS as exc:
        raise GeoDataError(f"{where}: corrupt geometry: {exc}") from exc
    coords = shapely.get_coordinates(geometry)
    if geometry.is_empty or not np.isfinite(coords).all():
        raise GeoDataError(f"{where}: geometry is empty or has non-finite coordinates")
    # Projected (metre) coordinates would pass every other check and place London in the ocean.
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        raise GeoDataError(f"{where}: coordinates are not lon/lat degrees (WGS84)")
    return geometry


def _repair(geometry: Any, where: str) -> Any:
    # make_valid keeps every point of the input, so a bow-tie can come back with stray lines.
    fixed = shapely.make_valid(geometry)
    parts = [part for part in shapely.get_parts(fixed) if part.geom_type in _POLYGONAL]
    repaired = shapely.union_all(parts) if parts else None
    if repaired is None or repaired.is_empty or repaired.area == 0:
        raise GeoDataError(f"{where}: invalid geometry with no area left after repair")
    return repaired
