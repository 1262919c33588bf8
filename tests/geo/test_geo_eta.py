"""The blue-light ETA model, and the calibration that produced its parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo import ETA_CONTEXTS, EtaContext, eta_seconds, eta_seconds_many
from geo.calibrate import CalibrationReport, calibrate
from geo.eta import CALIBRATED


@pytest.fixture(scope="module")
def report() -> CalibrationReport:
    return calibrate()


def test_the_parameters_are_what_calibration_gives(report: CalibrationReport) -> None:
    assert report.model.start_s == CALIBRATED.start_s
    assert report.model.circuity == pytest.approx(CALIBRATED.circuity, abs=5e-4)
    assert report.model.speed_mps == pytest.approx(CALIBRATED.speed_mps, abs=0.005)


def test_the_documented_errors(report: CalibrationReport) -> None:
    """The figures quoted in docs/geo.md."""
    assert report.rows == 161
    assert report.median_abs_error_s == pytest.approx(48.4, abs=0.05)
    assert report.cross_validated_s == pytest.approx(48.9, abs=0.05)
    assert report.baseline_s == pytest.approx(75.0, abs=0.05)
    assert report.median_abs_error_s < report.baseline_s
    assert report.road_rows == 6
    assert report.road_median_abs_error_s == pytest.approx(63.3, abs=0.05)
    assert report.line_on_road_rows_s == pytest.approx(63.7, abs=0.05)


@pytest.mark.parametrize("context", ETA_CONTEXTS)
def test_eta_grows_with_distance(context: EtaContext) -> None:
    distances = [0.0, 100.0, 1000.0, 5000.0, 20000.0]
    etas = [eta_seconds(d, context=context) for d in distances]
    assert etas == sorted(etas)
    assert etas[0] == CALIBRATED.start_s
    assert eta_seconds_many(np.array(distances), context=context) == pytest.approx(etas)


def test_inner_london_is_slower() -> None:
    assert eta_seconds(3000.0, context="inner") > eta_seconds(3000.0, context="outer")


def test_a_typical_run() -> None:
    """1.7 km, the file's median distance: about five minutes, as LFB's pumps take."""
    assert 250 < eta_seconds(1700.0) < 350


@pytest.mark.parametrize("distance", [-1.0, math.nan])
def test_bad_distances_are_rejected(distance: float) -> None:
    with pytest.raises(ValueError, match="distance_m"):
        eta_seconds(distance)
