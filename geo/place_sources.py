"""The built-in places: streets of the road graph, wards and boroughs, LFB fire stations and
well-known London places, each as a PlaceHit at a point that lies on or in it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import shapely
from shapely.ops import polylabel

from geo.gazetteer import Gazetteer
from geo.models import Borough, Ward
from geo.places import PlaceHit
from geo.point_csv import degrees_cell, read_rows, text_cell
from geo.streets import Street

BUILTIN = "builtin"
# The station list's row for Epsom (in Surrey) sits at 0.18 E 51.48 N, in Bexley: a search for
# "Epsom" answering with a point in Bexley would send someone to the wrong place.
MISPLACED_STATIONS = frozenset({"Epsom"})


def street_places(streets: Iterable[Street]) -> list[PlaceHit]:
    """A street at the middle of its longest run."""
    return [PlaceHit(s.name, "street", s.lon, s.lat, BUILTIN) for s in streets]


def inside_point(geometry: Any) -> tuple[float, float]:
    """The point of an area farthest inside its largest part (not a centroid, which a crescent
    ward or a borough with a bite out of it can hold outside)."""
    parts = shapely.get_parts(geometry)
    largest = max(parts, key=lambda part: part.area)
    point = polylabel(largest, tolerance=1e-5)  # degrees: about a metre
    return float(point.x), float(point.y)


def area_places(boroughs: Sequence[Borough], wards: Sequence[Ward]) -> list[PlaceHit]:
    """Every borough and ward at its inside point, with its GSS code as ref; a ward's detail is
    its borough (ward names repeat across London: "Village", "St Mary's")."""
    borough_names = {borough.gss_code: borough.name for borough in boroughs}
    places = [
        PlaceHit(b.name, "borough", *inside_point(b.geometry), BUILTIN, ref=b.gss_code)
        for b in boroughs
    ]
    places.extend(
        PlaceHit(
            w.name,
            "ward",
            *inside_point(w.geometry),
            BUILTIN,
            ref=w.code,
            detail=borough_names[w.borough_code],
        )
        for w in wards
    )
    return places


def fire_station_places(source: Path | Traversable, gazetteer: Gazetteer) -> list[PlaceHit]:
    """The London stations of an LFB station list (Station_Name, Station_Latitude,
    Station_Longitude); it also lists neighbouring counties' stations, which are left out."""
    places = []
    for where, row in read_rows(source, ("Station_Name", "Station_Latitude", "Station_Longitude")):
        name = text_cell(row, "Station_Name", where)
        lon = degrees_cell(row, "Station_Longitude", where, limit=180.0)
        lat = degrees_cell(row, "Station_Latitude", where, limit=90.0)
        if name not in MISPLACED_STATIONS and gazetteer.locate(lon, lat).borough is not None:
            places.append(PlaceHit(f"{name} Fire Station", "fire_station", lon, lat, BUILTIN))
    return places


def well_known_places(source: Path | Traversable) -> list[PlaceHit]:
    """Well-known places (name, category, lon, lat, borough): stations, landmarks, parks..."""
    places = []
    for where, row in read_rows(source, ("name", "category", "lon", "lat")):
        places.append(
            PlaceHit(
                text_cell(row, "name", where),
                "landmark",
                degrees_cell(row, "lon", where, limit=180.0),
                degrees_cell(row, "lat", where, limit=90.0),
                BUILTIN,
                detail=text_cell(row, "category", where),
            )
        )
    return places
