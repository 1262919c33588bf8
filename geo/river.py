"""The tidal Thames: inside Greater London's outline but in no borough (boroughs exclude MHW)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely

from geo.data_loading import GeoDataError, polygonal_geometry

# The outline (OpenStreetMap) and the boroughs (ONS) were drawn apart, so their difference is the
# river (about 21 km2, one piece) plus thousands of slivers along the edge, none above 0.01 km2.
MIN_RIVER_PART_M2 = 1_000_000.0


def osm_outline(document: Any, *, osm_ids: Sequence[int], label: str) -> Any:
    """The union of the lon/lat polygons of OSM relations in a Nominatim answer (a list)."""
    places = document if isinstance(document, list) else []
    found = {}
    for index, place in enumerate(places):
        if isinstance(place, dict) and place.get("osm_id") in osm_ids:
            found[place["osm_id"]] = polygonal_geometry(
                place.get("geojson"), f"{label}: place {index}"
            )
    missing = [osm_id for osm_id in osm_ids if osm_id not in found]
    if missing:
        raise GeoDataError(f"{label}: no place with osm_id {missing}")
    return shapely.union_all(list(found.values()))


def tidal_river(outline_bng: Any, areas_union_bng: Any) -> Any:
    """The large parts of the outline that no area covers, prepared for point tests (BNG)."""
    gaps = shapely.get_parts(shapely.difference(outline_bng, areas_union_bng))
    river = shapely.union_all(gaps[shapely.area(gaps) >= MIN_RIVER_PART_M2])
    if river.is_empty:
        raise GeoDataError("no river: the outline and the areas leave no large gap between them")
    shapely.prepare(river)
    return river
