"""Unit registry files: good rows load, bad rows are refused with their line and reason."""

from __future__ import annotations

from pathlib import Path

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
