"""Unit registry files (`cad units load FILE`): JSON lines or CSV, validated row by row."""

from __future__ import annotations

import csv
import io
import json
import math
import re
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


# A CSV cell is text, and the model takes only numbers: the numeric columns are read here, as
# decimals (crew: whole numbers), never "true", "nan", "inf" or "1_000" (which Python's float()
# or pydantic's lax mode would take).
_NUMBER_COLUMNS = {"base_lon": False, "base_lat": False, "crew": True}  # column: whole number?
_REQUIRED_NUMBERS = frozenset({"base_lon", "base_lat"})
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_WHOLE = re.compile(r"[+-]?\d+")


def _csv_rows(text: str) -> list[tuple[int, dict[str, object] | str]]:
    rows: list[tuple[int, dict[str, object] | str]] = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        record: dict[str, object] = {k: v for k, v in row.items() if v not in ("", None)}
        if isinstance(record.get("capabilities"), str):
            record["capabilities"] = [c for c in str(record["capabilities"]).split(";") if c]
        refused = []
        for column, whole in _NUMBER_COLUMNS.items():
            cell = row.get(column)
            # No such column: the model says whether it was needed. An optional column left
            # empty: the unit takes its default, as before.
            if cell is None or (cell == "" and column not in _REQUIRED_NUMBERS):
                continue
            parsed = _csv_number(column, cell, whole=whole)
            if isinstance(parsed, str):
                refused.append(parsed)
            else:
                record[column] = parsed
        rows.append((number, "; ".join(refused) if refused else record))
    return rows


def _csv_number(column: str, cell: str, *, whole: bool) -> int | float | str:
    """The cell's number, or why it is none (naming the column)."""
    text = cell.strip()
    if not text:
        return f"{column}: empty, expected a number"
    if whole:
        if _WHOLE.fullmatch(text):
            return int(text)
        return f"{column}: {text!r} is not a whole number"
    if not _DECIMAL.fullmatch(text):
        return f"{column}: {text!r} is not a number"
    value = float(text)
    if not math.isfinite(value):
        return f"{column}: {text!r} is not a finite number"
    return value
