"""Calibrating the blue-light ETA on real London first-pump attendance times.

Run `python -m geo.calibrate`. The circuity factor is measured on the Westminster road graph (it
cannot be told apart from speed in attendance times alone); then start_s and one road speed per
context are fitted to the attendance file by least absolute deviations: for each start_s on a
1-second grid, each context's best pace is a weighted median, and the start with the smallest
total absolute error wins. Errors are reported in-sample and by 10-fold cross-validation.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from geo.distance import distance_m
from geo.eta import ETA_CONTEXTS, EtaContext, EtaModel
from geo.loading import data_file, load_gazetteer
from geo.roads import RoadNetwork

ATTENDANCE_FILE = "lfb_2024_attendance_dev.csv"
ROADS_FILE = "westminster_drive_2024-02.graphml"
_START_GRID_S = np.arange(0.0, 301.0, 1.0)
_CIRCUITY_RANGE_M = (500.0, 5_000.0)  # the span of the attendance file's distances
_SENSITIVITY_STARTS_S = (0.0, 60.0, 90.0, 120.0, 150.0)


@dataclass(frozen=True)
class Attendance:
    """One first-pump attendance: station to incident, straight line, and the real time."""

    station: tuple[float, float]
    incident: tuple[float, float]
    distance_m: float
    seconds: float
    context: EtaContext


def read_attendances(source: Path | Traversable) -> list[Attendance]:
    """The attendances of an LFB attendance file, with the road context of each incident."""
    gazetteer = load_gazetteer()
    rows = []
    for row in csv.DictReader(source.read_text(encoding="utf-8").splitlines()):
        incident = (float(row["LongitudeIncident"]), float(row["LatitudeIncident"]))
        station = (float(row["LongitudeStation"]), float(row["LatitudeStation"]))
        rows.append(
            Attendance(
                station=station,
                incident=incident,
                distance_m=distance_m(*station, *incident),
                seconds=float(row["AttendanceTime"]) * 60.0,
                context=gazetteer.locate(*incident).eta_context,
            )
        )
    return rows


def _weighted_median(values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def fit_model(
    attendances: Sequence[Attendance], *, circuity: float, starts: Sequence[float] | None = None
) -> EtaModel:
    """The start (from `starts`, default 0-300 s) and per-context road speeds with the least
    total absolute error."""
    road = np.array([a.distance_m * circuity for a in attendances])
    seconds = np.array([a.seconds for a in attendances])
    contexts = np.array([a.context for a in attendances])
    # Zero-length runs say nothing about speed and would divide by zero.
    groups: dict[EtaContext, npt.NDArray[np.bool_]] = {
        context: (contexts == context) & (road > 0) for context in ETA_CONTEXTS
    }
    groups["london"] = road > 0

    def fit_at(start: float) -> tuple[float, dict[EtaContext, float]]:
        # Least |t - start - pace * road| over pace is a weighted median of the rows' paces.
        paces = {
            context: max(_weighted_median((seconds[rows] - start) / road[rows], road[rows]), 1e-6)
            for context, rows in groups.items()
        }
        error = sum(
            float(np.abs(seconds[rows] - start - paces[context] * road[rows]).sum())
            for context, rows in groups.items()
            if context != "london"
        )
        return error, paces

    grid = _START_GRID_S.tolist() if starts is None else list(starts)
    start = min(grid, key=lambda s: fit_at(s)[0])
    paces = fit_at(start)[1]
    return EtaModel(start, circuity, {context: 1.0 / pace for context, pace in paces.items()})


def median_abs_error(
    model: EtaModel, attendances: Sequence[Attendance], *, pooled: bool = False
) -> float:
    """Median absolute error in seconds of a model on attendances."""
    errors = [
        abs(model.seconds(a.distance_m, "london" if pooled else a.context) - a.seconds)
        for a in attendances
    ]
    return float(np.median(errors))


def cross_validated_error(
    attendances: Sequence[Attendance],
    *,
    circuity: float,
    starts: Sequence[float] | None = None,
    folds: int = 10,
    seed: int = 0,
) -> float:
    """Median absolute error of out-of-fold predictions (each row predicted by a model fitted
    without its fold)."""
    fold_of = np.random.default_rng(seed).permutation(len(attendances)) % folds
    errors: list[float] = []
    for fold in range(folds):
        train = [a for a, f in zip(attendances, fold_of, strict=True) if f != fold]
        model = fit_model(train, circuity=circuity, starts=starts)
        errors += [
            abs(model.seconds(a.distance_m, a.context) - a.seconds)
            for a, f in zip(attendances, fold_of, strict=True)
            if f == fold
        ]
    return float(np.median(errors))


@dataclass(frozen=True)
class CalibrationReport:
    """The fitted model and how well it predicts the attendance file."""

    model: EtaModel
    rows: int
    median_abs_error_s: float  # in-sample, context speeds
    pooled_median_abs_error_s: float  # in-sample, the one "london" speed
    cross_validated_s: float  # 10-fold, context speeds
    baseline_s: float  # predicting the median attendance time for every row
    sensitivity: dict[float, tuple[EtaModel, float]]  # start_s held fixed: model, 10-fold error
    road_rows: int  # rows whose station and incident are both on the road graph
    road_median_abs_error_s: float  # the road-network ETA on those rows
    line_on_road_rows_s: float  # the straight-line ETA on the same rows


def calibrate() -> CalibrationReport:
    """Measure circuity, fit the model and score it (about two seconds)."""
    network = RoadNetwork.from_graphml(data_file(ROADS_FILE))
    low, high = _CIRCUITY_RANGE_M
    circuity = round(network.circuity(sources=200, min_m=low, max_m=high, seed=0), 3)
    attendances = read_attendances(data_file(ATTENDANCE_FILE))
    model = fit_model(attendances, circuity=circuity)
    times = np.array([a.seconds for a in attendances])
    road_errors: list[float] = []
    line_errors: list[float] = []
    for a in attendances:
        drive = network.drive_s(*a.station, *a.incident, speed_mps=model.speed_mps[a.context])
        if drive is not None:
            road_errors.append(abs(model.start_s + drive - a.seconds))
            line_errors.append(abs(model.seconds(a.distance_m, a.context) - a.seconds))
    return CalibrationReport(
        model=model,
        rows=len(attendances),
        median_abs_error_s=median_abs_error(model, attendances),
        pooled_median_abs_error_s=median_abs_error(model, attendances, pooled=True),
        cross_validated_s=cross_validated_error(attendances, circuity=circuity),
        baseline_s=float(np.median(np.abs(times - np.median(times)))),
        sensitivity={
            start: (
                fit_model(attendances, circuity=circuity, starts=[start]),
                cross_validated_error(attendances, circuity=circuity, starts=[start]),
            )
            for start in _SENSITIVITY_STARTS_S
        },
        road_rows=len(road_errors),
        road_median_abs_error_s=float(np.median(road_errors)) if road_errors else math.nan,
        line_on_road_rows_s=float(np.median(line_errors)) if line_errors else math.nan,
    )


def main() -> None:
    """Print the calibrated parameters and their errors."""
    report = calibrate()
    model = report.model
    speeds = ", ".join(f"{c} {v:.2f} m/s ({v * 3.6:.1f} km/h)" for c, v in model.speed_mps.items())
    print(f"attendances: {report.rows} (LFB first pumps, 20-31 Jan 2024)")
    low, high = _CIRCUITY_RANGE_M
    print(f"circuity (Westminster road graph, pairs {low:.0f}-{high:.0f} m): {model.circuity:.3f}")
    print(f"start_s: {model.start_s:.0f}; road speeds: {speeds}")
    print(f"median absolute error, in-sample:        {report.median_abs_error_s:6.1f} s")
    print(f"median absolute error, one london speed: {report.pooled_median_abs_error_s:6.1f} s")
    print(f"median absolute error, 10-fold CV:       {report.cross_validated_s:6.1f} s")
    print(f"median absolute error, constant median:  {report.baseline_s:6.1f} s")
    print("with start_s held fixed (road speeds inner/outer, 10-fold CV error):")
    for start, (fixed, error) in report.sensitivity.items():
        inner, outer = fixed.speed_mps["inner"], fixed.speed_mps["outer"]
        print(f"  start_s {start:5.0f}: {inner:5.2f} / {outer:5.2f} m/s, {error:5.1f} s")
    print(
        f"road network, {report.road_rows} rows on the Westminster graph: median absolute error "
        f"{report.road_median_abs_error_s:.1f} s, straight line {report.line_on_road_rows_s:.1f} s"
    )


if __name__ == "__main__":
    main()
