"""Unit registry files: good rows load, bad rows are refused with their line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.unit_file import parse_unit_file
from dispatch.units import UnitType


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "units.jsonl"
    path.write_text(
        '{"callsign": "CW01", "area": "CW", "base_lon": -0.13, "base_lat": 51.51}\n'
        "\n"
        '{"callsign": "CW02", "unit_type": "arv", "capabilities": ["firearms"], "area": "CW",'
        ' "base_lon": -0.14, "base_lat": 51.5, "crew": 3}\n'
        "not json\n"
        '{"callsign": "bad callsign!", "area": "CW", "base_lon": -0.1, "base_lat": 51.5}\n'
        '{"callsign": "CW03", "area": "CW", "base_lon": -0.1, "base_lat": 95}\n'
        "[1]\n"
    )
    units, errors = parse_unit_file(path)
    assert [u.callsign for u in units] == ["CW01", "CW02"]
    assert units[1].unit_type is UnitType.ARV
    assert units[1].capabilities == frozenset({"firearms"})
    assert [e.line for e in errors] == [4, 5, 6, 7]
    assert "not valid JSON" in errors[0].reason
    assert errors[1].reason.startswith("callsign: String should match pattern")
    assert errors[2].reason.startswith("base_lat: Input should be less than or equal to 85.05")
    assert errors[3].reason == "expected a JSON object"


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "callsign,unit_type,capabilities,area,crew,base_lon,base_lat\n"
        "CN01,dog,response;dog,CN,1,-0.12,51.54\n"
        "CN02,irv,,CN,,-0.11,51.55\n"
        "CN03,submarine,,CN,2,-0.11,51.55\n"
    )
    units, errors = parse_unit_file(path)
    assert [u.callsign for u in units] == ["CN01", "CN02"]
    assert units[0].capabilities == frozenset({"response", "dog"})
    assert units[1].crew == 2
    assert len(errors) == 1
    assert errors[0].line == 4
    assert errors[0].reason.startswith("unit_type: Input should be")


def test_a_unit_listed_twice_is_refused_on_its_second_row(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "callsign,area,base_lon,base_lat\n"
        "CN01,CN,-0.12,51.54\n"
        "CN02,CN,-0.11,51.55\n"
        "CN01,CN,-0.13,51.56\n"
    )
    units, errors = parse_unit_file(path)
    assert [u.callsign for u in units] == ["CN01", "CN02"]
    assert units[0].base_lon == -0.12
    assert [(e.line, e.reason) for e in errors] == [(4, "callsign: CN01 is already on line 2")]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ('"base_lat": false', "base_lat: Input should be a valid number"),
        ('"base_lat": true', "base_lat: Input should be a valid number"),
        ('"base_lat": "51.5"', "base_lat: Input should be a valid number"),
        ('"base_lat": null', "base_lat: Input should be a valid number"),
        ('"base_lat": 51.5, "base_lon": "-0.1"', "base_lon: Input should be a valid number"),
        ('"base_lat": 51.5, "crew": true', "crew: Input should be a valid integer"),
        ('"base_lat": 51.5, "crew": "2"', "crew: Input should be a valid integer"),
        ('"base_lat": 51.5, "crew": 2.5', "crew: Input should be a valid integer"),
        ('"base_lat": 51.5, "callsign": 12', "callsign: Input should be a valid string"),
    ],
)
def test_a_json_row_of_the_wrong_types_is_refused_naming_the_field(
    tmp_path: Path, row: str, reason: str
) -> None:
    # A tester's row with `"base_lat": false` once registered a unit at 0,0.
    path = tmp_path / "units.jsonl"
    path.write_text(
        '{"callsign": "CW01", "area": "CW", "base_lon": -0.13, "base_lat": 51.51}\n'
        '{"callsign": "CW02", "area": "CW", "base_lon": -0.1, ' + row + "}\n"
    )
    units, errors = parse_unit_file(path)
    assert [u.callsign for u in units] == ["CW01"]
    assert [(e.line, e.reason) for e in errors] == [(2, reason)]


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("-0.12,false,2", "base_lat: 'false' is not a number"),
        ("true,51.54,2", "base_lon: 'true' is not a number"),
        ("-0.12,,2", "base_lat: empty, expected a number"),
        ("-0.12,  ,2", "base_lat: empty, expected a number"),
        ("nan,51.54,2", "base_lon: 'nan' is not a number"),
        ("-0.12,inf,2", "base_lat: 'inf' is not a number"),
        ("-0.12,1e400,2", "base_lat: '1e400' is not a finite number"),
        ("-0.12,51_54,2", "base_lat: '51_54' is not a number"),
        ("0x10,51.54,2", "base_lon: '0x10' is not a number"),
        ("-0.12,51.54,true", "crew: 'true' is not a whole number"),
        ("-0.12,51.54,2.0", "crew: '2.0' is not a whole number"),
        ("-0.12,51.54,two", "crew: 'two' is not a whole number"),
        ("nan,false,2", "base_lon: 'nan' is not a number; base_lat: 'false' is not a number"),
    ],
)
def test_a_csv_cell_that_is_no_number_is_refused_naming_the_column_and_the_row(
    tmp_path: Path, cells: str, reason: str
) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "callsign,area,base_lon,base_lat,crew\n"
        "CN01,CN,-0.12,51.54,1\n"
        f"CN02,CN,{cells}\n"
        "CN03,CN, -0.11 ,+51.55,+3\n"
    )
    units, errors = parse_unit_file(path)
    assert [(u.callsign, u.base_lon, u.base_lat, u.crew) for u in units] == [
        ("CN01", -0.12, 51.54, 1),
        ("CN03", -0.11, 51.55, 3),
    ]
    assert [(e.line, e.reason) for e in errors] == [(3, reason)]


def test_csv_numbers_are_read_as_decimals_whatever_their_notation(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("callsign,area,base_lon,base_lat\nCN01,CN,-.5,5.15e1\nCN02,CN,0,51\n")
    units, errors = parse_unit_file(path)
    assert errors == []
    assert [(u.base_lon, u.base_lat) for u in units] == [(-0.5, 51.5), (0.0, 51.0)]
