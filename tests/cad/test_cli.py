"""The `cad` command as a user runs it: a subprocess of the installed entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from redis import Redis as SyncRedis

from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings


def _cad(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )  # fmt: skip


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
    env.update(extra)
    return env


def test_units_load_registers_good_rows_and_reports_bad_ones(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "units.jsonl"
    path.write_text(
        '{"callsign": "SW01", "area": "SW", "base_lon": -0.19, "base_lat": 51.46}\n'
        '{"callsign": "SW02", "area": "SW", "base_lon": -0.19, "base_lat": 151}\n'
    )
    sync = SyncRedis.from_url(settings.redis_url, decode_responses=True)
    sync.flushdb()
    done = _cad("units", "load", str(path), env=_env(CAD_REDIS_URL=settings.redis_url), timeout=60)
    assert done.returncode == 1
    assert "registered 1 units, refused 1 rows" in done.stdout
    assert f"{path}:2: refused: base_lat" in done.stderr
    assert sync.hget(AreaKeys("SW").unit_status, "SW01") == "available"
    assert sync.hget(GlobalKeys().unit_area, "SW01") == "SW"
    sync.close()


def test_units_load_refuses_a_csv_cell_that_is_no_number_naming_row_and_column(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "callsign,area,base_lon,base_lat,crew\n"
        "SW01,SW,-0.19,51.46,2\n"
        "SW02,SW,-0.19,false,2\n"
        "SW03,SW,nan,51.46,true\n"
    )
    sync = SyncRedis.from_url(settings.redis_url, decode_responses=True)
    sync.flushdb()
    done = _cad("units", "load", str(path), env=_env(CAD_REDIS_URL=settings.redis_url), timeout=60)
    assert done.returncode == 1
    assert "registered 1 units, refused 2 rows" in done.stdout
    assert f"{path}:3: refused: base_lat: 'false' is not a number" in done.stderr
    refused = "base_lon: 'nan' is not a number; crew: 'true' is not a whole number"
    assert f"{path}:4: refused: {refused}" in done.stderr
    assert sync.hkeys(GlobalKeys().unit_area) == ["SW01"]
    sync.close()


def _figure(summary: str, row: str) -> int:
    """The number on a summary row."""
    return int(summary.split(f"\n{row}")[1].split()[0])


def test_demo_runs_end_to_end_on_its_own_servers() -> None:
    """`cad demo --duration 6` starts its own servers and plays the control room's day through
    the API: calls taken by the gateway and by a call handler by place name, graded, linked,
    dispatched, cleared, closed with a result code, then found in the history search and
    counted in the KPI report, every figure read back from the service."""
    done = _cad("demo", "--duration", "6", "--rate", "10", env=_env(), timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "started redis-server (AOF)" in out
    assert "registered 288 units in 12 BCUs" in out
    summary = out[out.index("\nsummary") :]
    assert _figure(summary, "taskings received by MDTs") > 0
    assert "call-to-tasking latency p99" in summary
    # The service counted every call the gateway published, and the handler's over HTTP.
    published = _figure(summary, "call events published (MQTT gateway)")
    assert _figure(summary, "calls taken by the MQTT gateway") == published
    assert _figure(summary, "calls taken by the call handler") > 0
    assert _figure(summary, "incidents graded by the call handler") > 0
    assert _figure(summary, "duplicate calls linked by the call handler") > 0
    # The simulated dispatcher closes what the units clear, each with a result code; the
    # supervisor finds every one of them in the history search once archived.
    closed = _figure(summary, "incidents closed with a result code")
    assert closed > 0
    # Only an incident whose units have all cleared awaits its result.
    assert _figure(summary, "incidents dispatched") >= closed
    assert _figure(summary, "units cleared") >= closed
    assert _figure(summary, "closed found in history search") == closed
    assert _figure(summary, "archived to PostgreSQL") >= closed
    categories = summary.split("results by category: ")[1].split("\n")[0]
    assert sum(int(part.split()[-1]) for part in categories.split(", ")) == closed
    # Races lost are counted and shown; the service never failed a request of the room.
    refusals = summary.split("API refusals by role, route and status: ")[1].split("\n")[0]
    assert " -> 5" not in refusals, refusals
    assert "no answer" not in refusals, refusals
    # The KPI report over the demo's window counts every incident opened, per BCU.
    table = summary.split("KPIs per BCU (GET /v1/reports/kpis")[1].split("\n")[2:]
    rows = [line.split() for line in table if line.strip()]
    assert rows, table
    assert all(row[0].isalpha() and len(row[0]) == 2 for row in rows), table
    assert sum(int(row[1]) for row in rows) == _figure(summary, "incidents opened")
