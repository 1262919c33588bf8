"""Blue-light ETA: straight-line distance times a circuity factor, over a speed by road context.

eta = start_s + circuity * distance_m / speed_mps[context]. The parameters below come from
`python -m geo.calibrate` (real London first-pump attendance times; see docs/geo.md), which
tests/geo/test_geo_calibrate.py re-runs to keep them honest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

# inner/outer: ONS Inner or Outer London at the destination; london: either, when unknown.
EtaContext = Literal["inner", "outer", "london"]
ETA_CONTEXTS: tuple[EtaContext, ...] = ("inner", "outer", "london")


@dataclass(frozen=True)
class EtaModel:
    """The parameters of the straight-line ETA model."""

    start_s: float  # the time to get going and to stop, whatever the distance
    circuity: float  # road distance over straight-line distance
    speed_mps: dict[EtaContext, float]  # mean road speed on blue lights

    def seconds(self, distance_m: float, context: EtaContext = "london") -> float:
        """Seconds to cover a straight-line distance in metres."""
        return self.start_s + self.circuity * distance_m / self.speed_mps[context]


# Produced by `python -m geo.calibrate`: do not edit by hand.
CALIBRATED = EtaModel(
    start_s=176.0,
    circuity=1.303,
    speed_mps={"inner": 16.31, "outer": 19.64, "london": 18.90},
)


def eta_seconds(distance_m: float, *, context: EtaContext = "london") -> float:
    """Calibrated blue-light ETA in seconds over a straight-line distance in metres."""
    if not distance_m >= 0.0:  # NaN fails too
        raise ValueError(f"distance_m must be a non-negative number: {distance_m!r}")
    return CALIBRATED.seconds(distance_m, context)


def eta_seconds_many(
    distances_m: npt.NDArray[np.float64], *, context: EtaContext = "london"
) -> npt.NDArray[np.float64]:
    """Calibrated blue-light ETAs in seconds for an array of straight-line distances."""
    model = CALIBRATED
    result: npt.NDArray[np.float64] = (
        model.start_s + model.circuity * np.asarray(distances_m) / model.speed_mps[context]
    )
    return result
