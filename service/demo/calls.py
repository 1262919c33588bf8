"""The demo's call events: real London incident locations, a police mix of types and grades."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from importlib import resources

from cad.events import CallEvent, CallSource, Grade, Location, utcnow

# (incident type, grade, share of calls): roughly a Met response-team evening.
CALL_MIX: list[tuple[str, Grade | None, float]] = [
    ("violence", Grade.IMMEDIATE, 0.16),
    ("burglary_in_progress", Grade.IMMEDIATE, 0.07),
    ("rtc_injury", Grade.IMMEDIATE, 0.06),
    ("domestic", Grade.IMMEDIATE, 0.12),
    ("concern_for_welfare", Grade.SIGNIFICANT, 0.14),
    ("asb", Grade.SIGNIFICANT, 0.12),
    ("alarm_activation", Grade.SIGNIFICANT, 0.08),
    ("theft_report", Grade.EXTENDED, 0.13),
    ("lost_property", Grade.REFERRED, 0.05),
    ("unknown", None, 0.07),
]
_SOURCES = [CallSource.EMERGENCY_999] * 8 + [CallSource.AML, CallSource.NON_EMERGENCY_101]


def incident_locations() -> list[tuple[float, float]]:
    """Real London incident coordinates (LFB, January 2024): (lon, lat)."""
    text = (resources.files("service.demo") / "data" / "lfb_2024_attendance_dev.csv").read_text()
    points = []
    for row in csv.DictReader(text.splitlines()):
        try:
            points.append((float(row["LongitudeIncident"]), float(row["LatitudeIncident"])))
        except ValueError:
            continue
    return points


def call_stream(seed: int) -> Iterator[CallEvent]:
    """An endless, seeded stream of call events at real locations."""
    rng = random.Random(seed)
    points = incident_locations()
    weights = [share for _, _, share in CALL_MIX]
    n = 0
    while True:
        n += 1
        lon, lat = rng.choice(points)
        incident_type, grade, _ = rng.choices(CALL_MIX, weights=weights)[0]
        source = rng.choice(_SOURCES)
        radius = rng.uniform(15, 250) if source is CallSource.AML else None
        yield CallEvent(
            call_id=f"demo-{seed}-{n:06d}",
            received_at=utcnow(),
            source=source,
            # A few hundred metres around a real incident: many distinct calls, all in real streets.
            location=Location(
                lon=lon + rng.uniform(-0.003, 0.003),
                lat=lat + rng.uniform(-0.002, 0.002),
                radius_m=radius,
            ),
            incident_type=None if grade is None else incident_type,
            grade=grade,
        )
