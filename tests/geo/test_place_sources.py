"""The built-in places lie where they say: every ward and borough at a point the gazetteer puts
in that ward and borough, every well-known place in the borough its data file states, every
fire station in London."""

from __future__ import annotations

import csv

from geo import load_gazetteer, load_places
from geo.loading import data_file
from geo.place_loading import WELL_KNOWN_FILE


def test_every_ward_and_borough_is_located_in_itself() -> None:
    gazetteer = load_gazetteer()
    places = load_places().places
    boroughs = [p for p in places if p.kind == "borough"]
    wards = [p for p in places if p.kind == "ward"]
    assert len(boroughs) == 33
    assert len(wards) == 628
    for borough in boroughs:
        assert gazetteer.locate(borough.lon, borough.lat).gss_code == borough.ref, borough
    for ward in wards:
        location = gazetteer.locate(ward.lon, ward.lat)
        assert (location.ward_code, location.borough) == (ward.ref, ward.detail), ward


def test_every_well_known_place_is_in_its_stated_borough() -> None:
    gazetteer = load_gazetteer()
    text = data_file(WELL_KNOWN_FILE).read_text(encoding="utf-8")
    stated = {row["name"]: row["borough"] for row in csv.DictReader(text.splitlines())}
    landmarks = {p.name: p for p in load_places().places if p.kind == "landmark"}
    assert set(landmarks) == set(stated)
    assert len(landmarks) >= 100
    for name, borough in stated.items():
        location = gazetteer.locate(landmarks[name].lon, landmarks[name].lat)
        assert location.borough == borough, (name, location)
        assert not location.on_river, name


def test_fire_stations_are_the_london_ones() -> None:
    gazetteer = load_gazetteer()
    stations = [p for p in load_places().places if p.kind == "fire_station"]
    # The file's first ~109 rows are LFB's; the neighbouring counties' are left out, and so is
    # Epsom (in Surrey), whose row puts it in Bexley.
    assert 100 <= len(stations) <= 109
    assert all(gazetteer.locate(p.lon, p.lat).borough is not None for p in stations)
    names = {p.name for p in stations}
    assert "Acton Fire Station" in names
    assert "Epsom Fire Station" not in names
    assert "Chelmsford Fire Station" not in names


def test_every_street_of_the_graph_is_a_place() -> None:
    streets = [p for p in load_places().places if p.kind == "street"]
    assert len(streets) > 1_300
    assert len({p.name for p in streets}) == len(streets)
