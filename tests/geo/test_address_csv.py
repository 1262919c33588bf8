"""A force's address gazetteer as a CSV provider, searched together with the built-in places."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo import GeoDataError, PlaceSearch, load_gazetteer, load_places
from geo.address_csv import ADDRESS_COLUMNS, read_address_csv

SAMPLE = Path(__file__).parent / "data" / "addressbase_sample.csv"
HEADER = ",".join(ADDRESS_COLUMNS)


def test_the_sample_reads_into_addresses() -> None:
    addresses = read_address_csv(SAMPLE)
    assert addresses.name == "addressbase"
    assert len(addresses.places) == 6
    first = addresses.search("10 downing", 5)
    assert [(p.name, p.kind, p.ref, p.detail) for p in first] == [
        ("10 Downing Street, London", "address", "900000000001", "SW1A 2AA")
    ]
    # Accents and apostrophes as in the built-in index.
    assert addresses.search("hotel cafe royal", 1)[0].ref == "900000000006"
    assert addresses.search("st jamess palace", 1)[0].ref == "900000000004"


def test_addresses_rank_with_the_built_in_places_and_are_located() -> None:
    search = PlaceSearch([load_places(), read_address_csv(SAMPLE)], load_gazetteer())
    found = search.search("10 downing street", 5)
    # Both exact or prefix; the well-known place ranks before the address (kind order).
    assert [(f.hit.name, f.hit.source, f.match) for f in found] == [
        ("10 Downing Street", "builtin", "exact"),
        ("10 Downing Street, London", "addressbase", "prefix"),
    ]
    assert {f.location.borough for f in found} == {"Westminster"}
    assert [f.location.bcu for f in search.search("mansion house", 1)] == [None]  # the City
    assert search.search("mansion house", 1)[0].location.borough == "City of London"


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "extract.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1,A Street,,-0.1,true", "extract.csv: line 2: column LATITUDE: 'true' is not a number"),
        ("1,A Street,,nan,51.5", "extract.csv: line 2: column LONGITUDE: 'nan' is not WGS84"),
        ("1,A Street,,530000,180000", "column LONGITUDE: '530000' is not WGS84 degrees"),
        ("x1,A Street,,-0.1,51.5", "line 2: column UPRN: 'x1' is not a UPRN"),
        ("1,,,-0.1,51.5", "line 2: column ADDRESS: empty"),
        ("1,A Street,-0.1,51.5", "line 2: wrong number of cells"),
    ],
)
def test_a_bad_row_is_refused_by_line_and_column(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(GeoDataError, match=message):
        read_address_csv(write(tmp_path, row))


def test_a_uprn_listed_twice_is_refused_on_its_second_row(tmp_path: Path) -> None:
    path = write(tmp_path, "7,A Street,,-0.1,51.5", "7,B Street,,-0.1,51.5")
    with pytest.raises(GeoDataError, match="line 3: column UPRN: 7 is listed twice"):
        read_address_csv(path)


def test_missing_columns_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(GeoDataError, match="missing column\\(s\\) LONGITUDE, LATITUDE"):
        read_address_csv(write(tmp_path, "1,A,B", header="UPRN,ADDRESS,POSTCODE"))
    with pytest.raises(GeoDataError, match=r"extract\.csv: no rows"):
        read_address_csv(write(tmp_path))
    with pytest.raises(GeoDataError, match="cannot read CSV"):
        read_address_csv(tmp_path / "absent.csv")
