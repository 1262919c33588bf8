"""CPU time of the processes under test: the service, and the AVL workers it starts."""

from __future__ import annotations

from pathlib import Path

import psutil


def cpu_seconds(proc: psutil.Process) -> float:
    """CPU seconds a process has run, to the nanosecond from its threads' schedstat where Linux
    has it (psutil's user + system count in 10 ms ticks: too coarse for a few calls)."""
    tasks = Path(f"/proc/{proc.pid}/task")
    try:
        return sum(int((t / "schedstat").read_text().split()[0]) for t in tasks.iterdir()) / 1e9
    except (OSError, ValueError, IndexError):
        times = proc.cpu_times()
        return times.user + times.system


def service_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds so far of the service process (its event loop, its background jobs) and of
    its child processes together (the AVL workers)."""
    service = psutil.Process(pid)
    workers = 0.0
    for child in service.children(recursive=True):
        try:
            workers += cpu_seconds(child)
        except psutil.Error:
            continue  # it ended meanwhile: its CPU is lost to the sample
    return cpu_seconds(service), workers
