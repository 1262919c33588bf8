"""Building the gazetteer from the package's boundary files, once per process."""

from __future__ import annotations

import functools
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from geo.data_loading import GeoDataError, read_areas, read_json
from geo.gazetteer import DEFAULT_MATERIAL_SHARE, DEFAULT_RIVER_SNAP_M, Gazetteer
from geo.jurisdiction import NeighbourForces, read_neighbour_forces
from geo.models import Borough, Ward
from geo.river import osm_outline

# The ceremonial county of Greater London leaves out the City of London, whose own boundary runs
# down the middle of the Thames: the outline needs both.
LONDON_OSM_IDS = (65606, 51800)


def data_file(name: str) -> Traversable:
    """A file of the package's data folder (geo/data)."""
    return resources.files("geo") / "data" / name


def read_boroughs(source: Path | Traversable) -> list[Borough]:
    """The boroughs of a London Datastore borough file (NAME, GSS_CODE, ONS_INNER)."""
    boroughs = []
    for index, area in enumerate(read_areas(source, name_key="NAME", code_key="GSS_CODE")):
        inner = area.properties.get("ONS_INNER")
        if inner not in ("T", "F"):
            where = f"{source.name}: feature {index} ({area.name!r})"
            raise GeoDataError(f"{where}: ONS_INNER is {inner!r}, not 'T' or 'F'")
        boroughs.append(Borough(area.name, area.code, inner == "T", area.geometry))
    return boroughs


def read_wards(source: Path | Traversable) -> list[Ward]:
    """The wards of an ONS census-merged ward file (cmwd11nm, cmwd11cd, lad11cd)."""
    wards = []
    for index, area in enumerate(read_areas(source, name_key="cmwd11nm", code_key="cmwd11cd")):
        parent = area.properties.get("lad11cd")
        if not isinstance(parent, str):
            raise GeoDataError(f"{source.name}: feature {index} ({area.name!r}): no lad11cd")
        wards.append(Ward(area.name, area.code, parent, area.geometry))
    return wards


@functools.cache
def load_gazetteer(
    *,
    river_snap_m: float = DEFAULT_RIVER_SNAP_M,
    material_share: float = DEFAULT_MATERIAL_SHARE,
) -> Gazetteer:
    """The gazetteer of the packaged boundaries, loaded on first call (about a second)."""
    outline_file = data_file("greater_london_osm_boundary.json")
    return Gazetteer(
        read_boroughs(data_file("boroughs.geojson")),
        read_wards(data_file("wards_2011.geojson")),
        osm_outline(read_json(outline_file), osm_ids=LONDON_OSM_IDS, label=outline_file.name),
        river_snap_m=river_snap_m,
        material_share=material_share,
    )


# The property names of the ONS "Police Force Areas (December 2023)" boundary files.
FORCE_AREA_NAME, FORCE_AREA_CODE = "PFA23NM", "PFA23CD"


@functools.cache
def load_jurisdictions(force_areas_file: str | None = None) -> NeighbourForces:
    """Whose call a point is (geo/jurisdiction.py) for the packaged boundaries; with the path of
    an ONS Police Force Areas GeoJSON file, its polygons decide beyond London first."""
    document_file = data_file("neighbouring_forces.json")
    areas = None
    if force_areas_file is not None:
        features = read_areas(
            Path(force_areas_file), name_key=FORCE_AREA_NAME, code_key=FORCE_AREA_CODE
        )
        areas = {area.name: area.geometry for area in features}
    return read_neighbour_forces(
        read_json(document_file), load_gazetteer().boroughs, label=document_file.name,
        force_areas=areas,
    )  # fmt: skip
