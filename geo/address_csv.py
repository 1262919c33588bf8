"""A force's address gazetteer from a CSV extract (AddressBase Plus, an NLPG/LLPG export) as a
PlaceProvider: one row an address, in the documented layout of docs/geo.md."""

from __future__ import annotations

from importlib.abc import Traversable
from pathlib import Path

from geo.data_loading import GeoDataError
from geo.place_index import PlaceIndex
from geo.places import PlaceHit
from geo.point_csv import degrees_cell, read_rows, text_cell

# AddressBase Plus's own column names; any other columns of the extract are ignored.
ADDRESS_COLUMNS = ("UPRN", "ADDRESS", "POSTCODE", "LONGITUDE", "LATITUDE")


def read_address_csv(source: Path | Traversable, *, name: str = "addressbase") -> PlaceIndex:
    """An index of every address of the file; a bad row raises GeoDataError naming its line and
    column, and a UPRN listed twice is refused on its second row."""
    places: list[PlaceHit] = []
    seen: set[str] = set()
    for where, row in read_rows(source, ADDRESS_COLUMNS):
        uprn = text_cell(row, "UPRN", where)
        if not uprn.isascii() or not uprn.isdigit() or len(uprn) > 12:
            raise GeoDataError(f"{where}: column UPRN: {uprn!r} is not a UPRN (up to 12 digits)")
        if uprn in seen:
            raise GeoDataError(f"{where}: column UPRN: {uprn} is listed twice")
        seen.add(uprn)
        places.append(
            PlaceHit(
                text_cell(row, "ADDRESS", where),
                "address",
                degrees_cell(row, "LONGITUDE", where, limit=180.0),
                degrees_cell(row, "LATITUDE", where, limit=90.0),
                name,
                ref=uprn,
                detail=row["POSTCODE"].strip() or None,
            )
        )
    return PlaceIndex(name, places)
