"""How a simulated unit moves and how long its jobs take: straight lines, real speeds. Pure."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from geo import distance_m, eta_seconds

# Back to patrol at town speed, about 30 km/h, without blue lights.
PATROL_SPEED_MPS = 8.5
# A crew reads the tasking and sets off within this many seconds (the MDT acknowledges then).
REACTION_S = (3.0, 15.0)
# Time on scene for a typical response job: statements, a search, an arrest.
ON_SCENE_S = (10 * 60.0, 30 * 60.0)


@dataclass(frozen=True)
class Leg:
    """A straight drive from one point to another taking `duration_s` (simulated seconds)."""

    from_lon: float
    from_lat: float
    to_lon: float
    to_lat: float
    duration_s: float

    @property
    def length_m(self) -> float:
        return distance_m(self.from_lon, self.from_lat, self.to_lon, self.to_lat)

    @property
    def speed_mps(self) -> float:
        return self.length_m / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def heading(self) -> float:
        """Compass bearing in degrees [0, 360), good enough over a city's distances."""
        dx = (self.to_lon - self.from_lon) * math.cos(math.radians(self.from_lat))
        dy = self.to_lat - self.from_lat
        return math.degrees(math.atan2(dx, dy)) % 360.0

    def position_at(self, elapsed_s: float) -> tuple[float, float]:
        """Where the unit is `elapsed_s` into the leg (at the end once it is over)."""
        share = 1.0 if self.duration_s <= 0 else min(max(elapsed_s / self.duration_s, 0.0), 1.0)
        return (
            self.from_lon + (self.to_lon - self.from_lon) * share,
            self.from_lat + (self.to_lat - self.from_lat) * share,
        )


def blue_light_leg(start: tuple[float, float], scene: tuple[float, float]) -> Leg:
    """To a scene under blue lights: the calibrated ETA's driving part (its fixed start-up
    time is the crew's reaction, simulated before the unit sets off)."""
    metres = distance_m(*start, *scene)
    return Leg(*start, *scene, eta_seconds(metres) - eta_seconds(0.0))


def patrol_leg(start: tuple[float, float], destination: tuple[float, float]) -> Leg:
    """Back to the patrol area at town speed."""
    return Leg(*start, *destination, distance_m(*start, *destination) / PATROL_SPEED_MPS)


@dataclass(frozen=True)
class JobTimes:
    """How long a crew takes to react and how long it stays on scene (simulated seconds)."""

    reaction_s: float
    on_scene_s: float


def draw_job_times(rng: random.Random) -> JobTimes:
    """One job's times, from the unit's own seeded generator."""
    return JobTimes(rng.uniform(*REACTION_S), rng.uniform(*ON_SCENE_S))
