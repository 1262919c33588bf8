"""The built-in place index and the street map, from the package's data files, once per process."""

from __future__ import annotations

import functools

from geo.loading import data_file, load_gazetteer
from geo.place_index import PlaceIndex
from geo.place_sources import (
    BUILTIN,
    area_places,
    fire_station_places,
    street_places,
    well_known_places,
)
from geo.roads import read_road_graph
from geo.streets import StreetMap

ROADS_FILE = "westminster_drive_2024-02.graphml"
STATIONS_FILE = "lfb_stations_2021.csv"
WELL_KNOWN_FILE = "london_places.csv"


@functools.cache
def load_streets() -> StreetMap:
    """The named streets of the packaged Westminster drive graph (about a second)."""
    return StreetMap(read_road_graph(data_file(ROADS_FILE)))


@functools.cache
def load_places() -> PlaceIndex:
    """The built-in places: streets, wards, boroughs, LFB fire stations, well-known places."""
    gazetteer = load_gazetteer()
    return PlaceIndex(
        BUILTIN,
        [
            *well_known_places(data_file(WELL_KNOWN_FILE)),
            *area_places(gazetteer.boroughs, gazetteer.wards),
            *street_places(load_streets().streets),
            *fire_station_places(data_file(STATIONS_FILE), gazetteer),
        ],
    )
