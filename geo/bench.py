"""The geo benchmark: single-point locate latency, batch throughput, circles, distances and place
search as typed.

`python -m geo.bench [--quick]` prints a table; `run_geo_bench` returns the figures, each the
median of several runs. Points are drawn uniformly over the Met's area (a fixed seed), so they
fall where incidents do; points off the areas (river, beyond London) take a slower path and are
reported on their own.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from geo.distance import distance_m
from geo.gazetteer import Gazetteer
from geo.loading import load_gazetteer
from geo.place_index import PlaceIndex
from geo.place_loading import load_places
from geo.place_search import PlaceSearch

FloatArray = npt.NDArray[np.float64]


def _sample(
    gazetteer: Gazetteer, n: int, *, inside: bool, seed: int
) -> tuple[FloatArray, FloatArray]:
    """`n` uniform points of London's bounding box, inside the Met's area or in no area."""
    rng = np.random.default_rng(seed)
    lons = rng.uniform(-0.52, 0.34, 8 * n + 1000)
    lats = rng.uniform(51.28, 51.70, 8 * n + 1000)
    located = gazetteer.locate_many(lons, lats)
    keep = located.in_force_area if inside else located.borough < 0
    return lons[keep][:n], lats[keep][:n]


def _latencies_us(
    call: Callable[[float, float], object], lons: FloatArray, lats: FloatArray
) -> FloatArray:
    """Microseconds of each call, one point at a time."""
    spent = np.empty(len(lons))
    clock = time.perf_counter_ns
    for i, (lon, lat) in enumerate(zip(lons.tolist(), lats.tolist(), strict=True)):
        started = clock()
        call(lon, lat)
        spent[i] = clock() - started
    return spent / 1000.0


def typed_prefixes(places: PlaceIndex, names: int, *, seed: int) -> list[str]:
    """Every prefix, from 2 letters, of `names` random place names: a handler typing them."""
    picked = random.Random(seed).sample([p.name for p in places.places], names)
    return [name[:end] for name in picked for end in range(2, len(name) + 1)]


def run_geo_bench(*, quick: bool) -> dict[str, float]:
    """The geo figures: locate p50/p99 (us), batch points/s, off-area and circle p50/p99, and
    distance_m cost (ns), each the median of several runs."""
    started = time.perf_counter()
    gazetteer = load_gazetteer()
    load_s = time.perf_counter() - started
    runs = 3 if quick else 7
    singles, batch, off_area = (2_000, 100_000, 200) if quick else (20_000, 1_000_000, 2_000)
    lons, lats = _sample(gazetteer, singles, inside=True, seed=1)
    batch_lons, batch_lats = _sample(gazetteer, batch, inside=True, seed=2)
    off_lons, off_lats = _sample(gazetteer, off_area, inside=False, seed=3)
    circle_lons, circle_lats = lons[: off_area // 4], lats[: off_area // 4]
    index = load_places()
    places = PlaceSearch([index], gazetteer)
    typed = typed_prefixes(index, 50 if quick else 300, seed=19)

    figures: dict[str, list[float]] = {}

    def record(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    gazetteer.locate_many(batch_lons[:1000], batch_lats[:1000])  # warm the caches
    for _ in range(runs):
        spent = _latencies_us(gazetteer.locate, lons, lats)
        record("locate_p50_us", float(np.percentile(spent, 50)))
        record("locate_p99_us", float(np.percentile(spent, 99)))
        spent = _latencies_us(gazetteer.locate, off_lons, off_lats)
        record("off_area_p50_us", float(np.percentile(spent, 50)))
        record("off_area_p99_us", float(np.percentile(spent, 99)))
        spent = _latencies_us(
            lambda lon, lat: gazetteer.locate_circle(lon, lat, 500.0), circle_lons, circle_lats
        )
        record("circle_500m_p50_us", float(np.percentile(spent, 50)))
        record("circle_500m_p99_us", float(np.percentile(spent, 99)))
        clock = time.perf_counter()
        gazetteer.locate_many(batch_lons, batch_lats)
        record("batch_points_per_s", len(batch_lons) / (time.perf_counter() - clock))
        clock = time.perf_counter()
        for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True):
            distance_m(lon, lat, -0.1281, 51.5080)
        record("distance_ns", (time.perf_counter() - clock) * 1e9 / len(lons))
        spent = np.empty(len(typed))
        for i, query in enumerate(typed):
            started_ns = time.perf_counter_ns()
            places.search(query, 10)
            spent[i] = (time.perf_counter_ns() - started_ns) / 1000.0
        record("place_search_p50_us", float(np.percentile(spent, 50)))
        record("place_search_p99_us", float(np.percentile(spent, 99)))
    result = {name: statistics.median(values) for name, values in figures.items()}
    result["load_s"] = load_s  # 0 when the gazetteer was already loaded in this process
    return result


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(prog="python -m geo.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer points and runs")
    figures = run_geo_bench(quick=parser.parse_args().quick)
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:>14,.2f}")


if __name__ == "__main__":
    main()
