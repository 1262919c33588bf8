"""Unit registry files (`cad units load FILE`): JSON lines or CSV, validated row by row."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from cad.events import describe_validation_error
from dispatch.units import Unit


@dataclass(frozen=True)
class UnitFileError:
    """One refused row: where it is and why."""

    line: int
    reason: str


def parse_unit_file(path: Path) -> tuple[list[Unit], list[UnitFileError]]:
    """The units a file describes, and the rows refused with their reasons."""
    text = path.read_text(encoding="utf-8")
    rows = _csv_rows(text) if path.suffix.lower() == ".csv" else _json_rows(text)
    units: list[Unit] = []
    errors: list[UnitFileError] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, str):
            errors.append(UnitFileError(line, row))
            continue
        try:
            unit = Unit.model_validate(row)
        except ValidationError as exc:
            errors.append(UnitFileError(line, describe_validation_error(exc)))
            continue
        # Units are registered side by side: a second row for a unit is a mistake, not an edit.
        if unit.callsign in first_line:
            reason = f"callsign: {unit.callsign} is already on line {first_line[unit.callsign]}"
            errors.append(UnitFileError(line, reason))
            continue
        first_line[unit.callsign] = line
        units.append(unit)
    return units, errors


def _json_rows(text: str) -> list[tuple[int, dict[str, object] | str]]:
    rows: list[tuple[int, dict[str, object] | str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((number, f"not valid JSON ({exc})"))
            continue
        rows.append((number, value if isinstance(value, dict) else "expected a JSON object"))
    return rows


def _csv_rows(text: str) -> list[tuple[int, dict[str, object] | str]]:
    rows: list[tuple[int, dict[str, object] | str]] = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        record: dict[str, object] = {k: v for k, v in row.items() if v not in ("", None)}
        if isinstance(record.get("capabilities"), str):
            record["capabilities"] = [c for c in str(record["capabilities"]).split(";") if c]
        rows.append((number, record))
    return rows
