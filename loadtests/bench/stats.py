"""Figures of one run (rate and latency percentiles) and the median over several runs."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

from cad.stats import percentile


@dataclass(frozen=True)
class Figures:
    """Throughput and latency of one run (or the median of several), and the generator's CPU."""

    rate_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    count: int
    generator_cpu_pct: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """The figures rounded for the table and the JSON."""
        return {k: round(float(v), 3) for k, v in asdict(self).items()}


def figures(latencies_ms: Sequence[float], elapsed_s: float, *, cpu_pct: float = 0.0) -> Figures:
    """Figures of one run: `len(latencies_ms)` operations completed in `elapsed_s`."""
    return Figures(
        rate_per_s=len(latencies_ms) / elapsed_s if elapsed_s > 0 else 0.0,
        p50_ms=percentile(latencies_ms, 50),
        p95_ms=percentile(latencies_ms, 95),
        p99_ms=percentile(latencies_ms, 99),
        count=len(latencies_ms),
        generator_cpu_pct=cpu_pct,
    )


def median_of(runs: Sequence[Figures]) -> Figures:
    """Each field's median over the runs (CPU: the highest, since one busy run taints a figure)."""
    values = {f.name: statistics.median(getattr(r, f.name) for r in runs) for f in fields(Figures)}
    values["count"] = int(values["count"])
    values["generator_cpu_pct"] = max(r.generator_cpu_pct for r in runs)
    return Figures(**values)
