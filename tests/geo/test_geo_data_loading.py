"""Reading boundary files: the invalid vega polygons repaired, corrupt files rejected by name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from geo import GeoDataError
from geo.data_loading import read_areas
from geo.loading import data_file, read_boroughs, read_wards
from geo.projection import geometry_to_bng

VEGA = Path(__file__).parent / "data" / "boroughs_simplified_vega.geojson"
SQUARE = [[[-0.1, 51.5], [-0.09, 51.5], [-0.09, 51.51], [-0.1, 51.51], [-0.1, 51.5]]]
NAN_RING = [[*SQUARE[0][:2], [float("nan"), 51.5], SQUARE[0][0]]]
METRE_RING = [[[530000, 180000], [531000, 180000], [531000, 181000], [530000, 180000]]]
FLAT_RING = [[[-0.1, 51.5], [-0.09, 51.5], [-0.08, 51.5], [-0.1, 51.5]]]


def test_the_vega_outlines_are_repaired() -> None:
    areas = read_areas(VEGA, name_key="name", code_key="name")
    assert len(areas) == 33
    assert sorted(a.name for a in areas if a.repaired) == ["Newham", "Richmond upon Thames"]
    assert all(a.geometry.is_valid for a in areas)
    assert all(a.geometry.geom_type in ("Polygon", "MultiPolygon") for a in areas)


@pytest.mark.parametrize("name", ["Newham", "Richmond upon Thames"])
def test_a_repaired_outline_keeps_its_area(name: str) -> None:
    repaired = next(a for a in read_areas(VEGA, name_key="name", code_key="name") if a.name == name)
    full = next(b for b in read_boroughs(data_file("boroughs.geojson")) if b.name == name)
    ratio = geometry_to_bng(repaired.geometry).area / geometry_to_bng(full.geometry).area
    assert ratio == pytest.approx(1.0, abs=0.05)


def test_the_packaged_files_need_no_repair() -> None:
    boroughs = read_areas(data_file("boroughs.geojson"), name_key="NAME", code_key="GSS_CODE")
    assert not any(area.repaired for area in boroughs)
    wards = read_wards(data_file("wards_2011.geojson"))
    assert len(wards) == 628
    assert len({ward.code for ward in wards}) == 628


def feature(name: str, geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"NAME": name, **properties}, "geometry": geometry}


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "broken.geojson"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


GOOD = feature("Goodtown", {"type": "Polygon", "coordinates": SQUARE}, CODE="G1")

# (what is wrong, the bad feature, what the error must say)
CORRUPT = [
    (
        "ring of two points",
        feature("Shortring", {"type": "Polygon", "coordinates": [SQUARE[0][:2]]}, CODE="S1"),
        "feature 1 ('Shortring'): corrupt geometry",
    ),
    (
        "coordinates are not numbers",
        feature("Textville", {"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}, CODE="T1"),
        "feature 1 ('Textville'): corrupt geometry",
    ),
    (
        "no geometry",
        feature("Nowhere", None, CODE="N1"),
        "feature 1 ('Nowhere'): geometry is missing",
    ),
    (
        "a point, not an area",
        feature("Dot", {"type": "Point", "coordinates": [-0.1, 51.5]}, CODE="D1"),
        "feature 1 ('Dot'): geometry is missing or not a Polygon",
    ),
    (
        "NaN coordinates",
        feature("Nanton", {"type": "Polygon", "coordinates": NAN_RING}, CODE="X1"),
        "feature 1 ('Nanton'): geometry is empty or has non-finite coordinates",
    ),
    (
        "metres, not degrees",
        feature("Gridham", {"type": "Polygon", "coordinates": METRE_RING}, CODE="M1"),
        "feature 1 ('Gridham'): coordinates are not lon/lat",
    ),
    (
        "a zero-area polygon",
        feature("Flatland", {"type": "Polygon", "coordinates": FLAT_RING}, CODE="F1"),
        "feature 1 ('Flatland'): invalid geometry with no area left after repair",
    ),
    (
        "no name",
        {"type": "Feature", "properties": {"CODE": "Z1"}, "geometry": None},
        "feature 1: property 'NAME' is missing",
    ),
    (
        "no code",
        feature("Codeless", {"type": "Polygon", "coordinates": SQUARE}),
        "feature 1 ('Codeless'): property 'CODE' is missing",
    ),
]


@pytest.mark.parametrize(("case", "bad", "message"), CORRUPT, ids=[c[0] for c in CORRUPT])
def test_a_corrupt_feature_is_named(tmp_path: Path, case: str, bad: Any, message: str) -> None:
    path = write(tmp_path, {"type": "FeatureCollection", "features": [GOOD, bad]})
    with pytest.raises(GeoDataError, match=re.escape(f"broken.geojson: {message}")):
        read_areas(path, name_key="NAME", code_key="CODE")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"type": "FeatureCollection", "features": [', "cannot read JSON"),
        ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "the FeatureCollection has no features"),
        ({"type": "FeatureCollection", "features": [GOOD, 7]}, "feature 1: not a GeoJSON Feature"),
    ],
)
def test_a_corrupt_file_is_named(tmp_path: Path, document: Any, message: str) -> None:
    with pytest.raises(GeoDataError, match=re.escape(f"broken.geojson: {message}")):
        read_areas(write(tmp_path, document), name_key="NAME", code_key="CODE")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(GeoDataError, match=r"absent\.geojson: cannot read JSON"):
        read_areas(tmp_path / "absent.geojson", name_key="NAME", code_key="CODE")


def test_a_borough_file_without_inner_flags_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, {"type": "FeatureCollection", "features": [
        feature("Goodtown", {"type": "Polygon", "coordinates": SQUARE}, GSS_CODE="E1")
    ]})  # fmt: skip
    with pytest.raises(GeoDataError, match=r"feature 0 \('Goodtown'\): ONS_INNER is None"):
        read_boroughs(path)
