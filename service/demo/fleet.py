"""The demo fleet: police units based at real London locations, a number per BCU, seeded."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from importlib import resources

from dispatch.units import Unit, UnitType
from geo import load_gazetteer

# A response team is mostly incident response vehicles, with a few specialist units.
_TYPE_MIX: list[tuple[UnitType, float, frozenset[str]]] = [
    (UnitType.IRV, 0.75, frozenset({"response"})),
    (UnitType.ARV, 0.08, frozenset({"response", "firearms"})),
    (UnitType.DOG, 0.05, frozenset({"response", "dog"})),
    (UnitType.TRAFFIC, 0.07, frozenset({"response", "traffic", "rtc"})),
    (UnitType.PUBLIC_ORDER, 0.05, frozenset({"public_order"})),
]
# Units start within this distance of their base, so they do not all sit on one point.
_JITTER_DEG = 0.004


def base_locations() -> dict[str, list[tuple[str, float, float]]]:
    """Station stand-ins inside the Met's area, grouped by BCU: (name, lon, lat)."""
    gazetteer = load_gazetteer()
    by_bcu: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    text = (resources.files("service.demo") / "data" / "lfb_stations_2021.csv").read_text()
    for row in csv.DictReader(text.splitlines()):
        try:
            lon, lat = float(row["Station_Longitude"]), float(row["Station_Latitude"])
        except ValueError:
            continue  # the file has dirty rows: a base we cannot place is no base
        place = gazetteer.locate(lon, lat)
        if place.in_force_area and place.bcu is not None:
            by_bcu[place.bcu].append((row["Station_Name"], lon, lat))
    return by_bcu


def build_fleet(units_per_area: int, seed: int) -> list[Unit]:
    """`units_per_area` units in each BCU, spread over its bases, with a realistic type mix."""
    rng = random.Random(seed)
    fleet: list[Unit] = []
    for bcu, bases in sorted(base_locations().items()):
        for n in range(units_per_area):
            _, lon, lat = bases[n % len(bases)]
            unit_type, _, capabilities = rng.choices(
                _TYPE_MIX, weights=[w for _, w, _ in _TYPE_MIX]
            )[0]
            fleet.append(
                Unit(
                    callsign=f"{bcu}{n + 1:02d}",
                    unit_type=unit_type,
                    capabilities=capabilities,
                    area=bcu,
                    crew=1 if unit_type is UnitType.DOG else 2,
                    base_lon=lon + rng.uniform(-_JITTER_DEG, _JITTER_DEG),
                    base_lat=lat + rng.uniform(-_JITTER_DEG, _JITTER_DEG),
                )
            )
    return fleet
