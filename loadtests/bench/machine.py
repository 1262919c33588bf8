"""A description of the machine a bench ran on, for the JSON and docs/performance.md."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess

import psutil


def _version(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None:
        return "not found"
    done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else ""
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe_machine() -> dict[str, str | int | float]:
    """CPU, cores, memory, OS, Python and server versions."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        # Other work on the machine during the run skews every figure, baselines included.
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "redis": _version(["redis-server", "--version"]),
        "mosquitto": _version(["mosquitto", "-h"]),
    }
