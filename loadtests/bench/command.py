"""`cad bench [--quick] [--json FILE]`: run, print the table, write the JSON and the plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import uvloop

from loadtests.bench.report import plot, table, write_json
from loadtests.bench.runner import BenchOptions, run_bench
from loadtests.bench.topologies import SINGLE, parse_topologies


def bench_command(
    *,
    quick: bool,
    json_path: Path | None,
    only: frozenset[str] = frozenset(),
    topologies: str = SINGLE,
) -> int:
    """Run the bench; exit status 0 when every run reconciled clean (no lost call, no double).
    `topologies`: `single,sentinel,cluster` or some of them (loadtests/bench/topologies.py)."""
    options = BenchOptions(quick=quick, only=only, topologies=parse_topologies(topologies))
    doc = uvloop.run(run_bench(options))
    print(table(doc))
    out_dir = json_path.parent if json_path else Path(doc["workdir"])
    if json_path is not None:
        write_json(doc, json_path)
        print(f"JSON: {json_path}")
    for path in plot(doc, out_dir):
        print(f"plot: {path}")
    return 0 if reconciled_clean(doc) else 1


def reconciled_clean(doc: dict[str, Any]) -> bool:
    """Whether no scenario's runs lost a call or dispatched a unit twice (the exit status)."""
    return all(
        not s["reconciliation"]
        or (
            s["reconciliation"].get("lost", 0) == 0
            and s["reconciliation"].get("double_dispatches", 0) == 0
        )
        for s in doc["scenarios"]
    )
