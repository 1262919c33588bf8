"""The bench's call events: seeded points over London, the graded types that send one unit."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime

# Graded I or S with a one-unit response plan: each call that opens an incident gets one tasking.
_TYPES = (
    ("missing_person_high_risk", "I"),
    ("concern_for_welfare", "S"),
    ("asb", "S"),
    ("alarm_activation", "S"),
)
# Greater London's bounding box; a point off the BCUs is dispatched by the nearest one.
LONDON_BOX = (-0.45, 0.20, 51.35, 51.62)


@dataclass(frozen=True)
class BenchCall:
    """One call event of a run."""

    call_id: str
    lon: float
    lat: float
    incident_type: str
    grade: str

    def payload(self, *, graded: bool = True) -> bytes:
        """The call event JSON (the call id first, so a dead letter's excerpt names it)."""
        return json.dumps(
            {
                "call_id": self.call_id,
                "received_at": datetime.now(UTC).isoformat(),
                "source": "999",
                "location": {"lon": self.lon, "lat": self.lat},
                "incident_type": self.incident_type if graded else None,
                "grade": self.grade if graded else None,
            }
        ).encode()


def london_points(n: int, seed: int) -> list[tuple[float, float]]:
    """`n` seeded points uniform over London's box."""
    rng = random.Random(seed)
    x0, x1, y0, y1 = LONDON_BOX
    return [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(n)]


def bench_calls(prefix: str, n: int, seed: int) -> list[BenchCall]:
    """The `n` call events of one run, identical wherever they are rebuilt from the same seed."""
    return [
        BenchCall(f"{prefix}-{i}", lon, lat, *_TYPES[i % len(_TYPES)])
        for i, (lon, lat) in enumerate(london_points(n, seed))
    ]
