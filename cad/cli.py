"""The `cad` command: serve, demo, bench, replay and units load."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import uvloop

from cad.logs import configure_logging
from cad.settings import get_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cad", description="Police Command & Control service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "serve", help="run the API and MQTT consumers against CAD_REDIS_URL/CAD_MQTT_URL"
    )
    demo = sub.add_parser("demo", help="the main job end to end on real London data")
    demo.add_argument("--duration", type=float, default=None, help="seconds; default: until Ctrl-C")
    demo.add_argument("--rate", type=float, default=5.0, help="call events per second")
    demo.add_argument("--seed", type=int, default=999)
    demo.add_argument(
        "--units-per-area", type=int, default=24, help="simulated units in each of the 12 BCUs"
    )
    demo.add_argument(
        "--time-scale", type=float, default=240.0, help="simulated seconds per real second"
    )
    bench = sub.add_parser("bench", help="load-test the dispatch core against same-run baselines")
    bench.add_argument("--quick", action="store_true", help="fewer, shorter runs: under a minute")
    bench.add_argument("--json", type=Path, default=None, help="write the results (and plots) here")
    units = sub.add_parser("units", help="the unit registry").add_subparsers(
        dest="units_command", required=True
    )
    load = units.add_parser("load", help="register units from a JSON-lines or CSV file")
    load.add_argument("file", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cad` console script."""
    args = _parser().parse_args(argv)
    settings = get_settings()
    if args.command == "serve":
        configure_logging(settings.log_level)
        from cad.service import server_for

        server_for(settings).run()
        return 0
    if args.command == "demo":
        from cad.demo.runner import DemoOptions, run_demo

        options = DemoOptions(
            duration_s=args.duration,
            rate_per_s=args.rate,
            seed=args.seed,
            units_per_area=args.units_per_area,
            time_scale=args.time_scale,
        )
        return uvloop.run(run_demo(options))
    if args.command == "bench":
        configure_logging(settings.log_level)
        from cad.bench.command import bench_command

        return bench_command(quick=args.quick, json_path=args.json)
    if args.command == "units":
        from cad.units_command import load_units

        return asyncio.run(load_units(settings, args.file))
    return 2


if __name__ == "__main__":
    sys.exit(main())
