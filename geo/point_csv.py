"""Named points from CSV files, checked cell by cell: a bad row is refused by line and column."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from importlib.abc import Traversable
from pathlib import Path

from geo.data_loading import GeoDataError


def read_rows(
    source: Path | Traversable, required: Sequence[str]
) -> list[tuple[str, dict[str, str]]]:
    """Every row of a CSV file whose header holds `required` (other columns are kept), each with
    where it is ("file.csv: line 7") for messages."""
    try:
        text = source.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is no column name
    except (OSError, UnicodeDecodeError) as exc:
        raise GeoDataError(f"{source.name}: cannot read CSV: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in required if column not in (reader.fieldnames or [])]
    if missing:
        raise GeoDataError(f"{source.name}: missing column(s) {', '.join(missing)}")
    rows = []
    for row in reader:
        if None in row or any(value is None for value in row.values()):
            raise GeoDataError(f"{source.name}: line {reader.line_num}: wrong number of cells")
        rows.append((f"{source.name}: line {reader.line_num}", row))
    if not rows:
        raise GeoDataError(f"{source.name}: no rows")
    return rows


def text_cell(row: dict[str, str], column: str, where: str) -> str:
    """A cell that must hold some text."""
    value = row[column].strip()
    if not value:
        raise GeoDataError(f"{where}: column {column}: empty")
    return value


def degrees_cell(row: dict[str, str], column: str, where: str, *, limit: float) -> float:
    """A WGS84 coordinate cell: a finite decimal within +-limit (180 for lon, 90 for lat)."""
    value = row[column].strip()
    try:
        number = float(value)
    except ValueError:
        raise GeoDataError(f"{where}: column {column}: {value!r} is not a number") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise GeoDataError(f"{where}: column {column}: {value!r} is not WGS84 degrees")
    return number
