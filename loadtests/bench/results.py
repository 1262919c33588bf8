"""One scenario's outcome: the service's figures, the same-run baseline, the ratio, the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadtests.bench.stats import Figures

# A generator busier than this measures itself, not what it drives.
GENERATOR_CPU_LIMIT_PCT = 90.0


@dataclass
class Scenario:
    """The figures of one scenario (medians of its runs) and what they are compared with."""

    key: str
    title: str
    measured: Figures | None = None
    baseline: Figures | None = None
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    reconciliation: dict[str, Any] | None = None
    # Per offered load, for the plots: {"offered": r, "service": {...}, "baseline": {...}}.
    points: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    # Set where the scenario compares something other than throughput (scenario 9: CPU time per
    # call, the grown service's over the small one's).
    other_ratio: float | None = None

    @property
    def ratio(self) -> float | None:
        """Measured throughput over the baseline's, unless the scenario set its own ratio."""
        if self.other_ratio is not None:
            return self.other_ratio
        if self.measured is None or self.baseline is None or not self.baseline.rate_per_s:
            return None
        return self.measured.rate_per_s / self.baseline.rate_per_s

    @property
    def generator_bound(self) -> bool:
        """Whether any generator of the scenario ran above the CPU limit."""
        cpus = [f.generator_cpu_pct for f in (self.measured, self.baseline) if f is not None]
        cpus += [float(c) for c in self.extra.get("generator_cpu_pct", [])]
        return any(c > GENERATOR_CPU_LIMIT_PCT for c in cpus)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        ratio = self.ratio
        return {
            "key": self.key, "title": self.title,
            "measured": self.measured.as_dict() if self.measured else None,
            "baseline": self.baseline.as_dict() if self.baseline else None,
            "ratio": round(ratio, 3) if ratio is not None else None,
            "target": self.target, "met": self.met, "generator_bound": self.generator_bound,
            "notes": self.notes, "reconciliation": self.reconciliation, "points": self.points,
            "extra": self.extra,
        }  # fmt: skip


def merge_reconciliations(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum the counts of several runs' reconciliations; keep the first examples."""
    total: dict[str, Any] = {"runs": len(parts), "examples": []}
    for part in parts:
        for key, value in part.items():
            if key == "examples":
                total["examples"] = (total["examples"] + list(value))[:5]
            elif key.endswith("_after"):
                total[key] = min(total.get(key, value), value)
            elif isinstance(value, int):
                total[key] = total.get(key, 0) + value
    return total
