"""Dispatch areas: the BCU whose keys, units and queue an incident at a point belongs to."""

from __future__ import annotations

from geo import load_gazetteer


def dispatch_area(lon: float, lat: float) -> str:
    """The BCU that dispatches to a point; the nearest one for the river, the City and beyond."""
    return load_gazetteer().locate(lon, lat).nearest_bcu
