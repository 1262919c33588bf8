"""The bench's output: a table on stdout, the JSON document, and latency plots beside the JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

_HEAD = f"{'#':<3}{'scenario':<52}{'rate/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"


def _row(label: str, figs: dict[str, float] | None) -> str:
    if figs is None:
        return ""
    cells = [f"{figs['rate_per_s']:>10.0f}"]
    cells += [f"{v:>9.2f}" if not math.isnan(v) else f"{'-':>9}" for v in
              (figs["p50_ms"], figs["p95_ms"], figs["p99_ms"])]  # fmt: skip
    return f"{'':<3}{label:<52}{''.join(cells)}"


def table(doc: dict[str, Any]) -> str:
    """The results as a fixed-width table, with the verdicts and reconciliations."""
    lines = [_HEAD, "-" * len(_HEAD)]
    for s in doc["scenarios"]:
        # A space after a long key (`2@cluster`): the short ones keep their column.
        lines.append(f"{s['key'] + ' ':<3}{s['title']}")
        lines.append(_row("  measured", s["measured"]))
        lines.append(_row("  same-run baseline", s["baseline"]))
        verdict = {True: "MET", False: "NOT MET", None: ""}[s["met"]]
        ratio = f"ratio {s['ratio']:.2f}  " if s["ratio"] is not None else ""
        lines.append(f"   {ratio}target: {s['target']}  {verdict}")
        if s["generator_bound"]:
            lines.append("   WARNING: a load generator ran above 90% CPU: this figure measures it")
        if s["reconciliation"]:
            r = s["reconciliation"]
            lines.append(
                f"   reconciled: {r.get('calls', 0)} calls, {r.get('lost', 0)} lost, "
                f"{r.get('double_dispatches', 0)} double dispatches, "
                f"{r.get('dead_lettered', 0)} dead-lettered, "
                f"{r.get('linked', 0)} linked as duplicates"
            )
        for note in s["notes"]:
            lines.append(f"   {note}")
        if s["key"] == "7":
            lines += [f"   {k}: {v}" for k, v in s["extra"].items()]
    m = doc["machine"]
    lines.append(
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {doc['seconds']} s"
    )
    return "\n".join(line for line in lines if line)


def write_json(doc: dict[str, Any], path: Path) -> None:
    """The whole document, NaN written as null."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_no_nan(doc), indent=2) + "\n")


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


def plot(doc: dict[str, Any], directory: Path) -> list[Path]:
    """Latency percentiles against offered load, service and bare pipeline, for every step of a
    scenario's capacity searches: one small PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for s in doc["scenarios"]:
        if not s["points"]:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.6), dpi=90)
        for side, marker in (("service", "o"), ("baseline", "x")):
            # A step measures one side only: the searches step each side's rate on its own.
            taken = sorted((p for p in s["points"] if p[side]), key=lambda p: p["offered"])
            offered = [p["offered"] for p in taken]
            for q, colour in (
                ("p50_ms", "tab:blue"),
                ("p95_ms", "tab:orange"),
                ("p99_ms", "tab:red"),
            ):
                label = f"{'service' if side == 'service' else 'bare'} {q[:3]}"
                ax.plot(offered, [p[side][q] for p in taken], linestyle="none", color=colour,
                        marker=marker, label=label)  # fmt: skip
        ax.set_xlabel("offered call events/s")
        ax.set_ylabel("call -> tasking (ms, log)")
        # The bare pipeline and the service differ by orders of magnitude under load.
        ax.set_yscale("log")
        ax.set_title(s["title"], fontsize=9)
        ax.legend(fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = directory / f"bench-{s['key']}-latency.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written
