"""The `cad` command: serve, demo, bench, replay, units load, archive and token."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import uvloop

from cad.logs import configure_logging
from cad.settings import Settings, get_settings
from cad.tokens import Role, dev_token_for


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
    bench.add_argument("--quick", action="store_true", help="fewer, shorter runs: a few minutes")
    bench.add_argument("--json", type=Path, default=None, help="write the results (and plots) here")
    bench.add_argument(
        "--only",
        default="",
        help="comma-separated scenario numbers to run, e.g. 4b,6 (default: all)",
    )
    bench.add_argument(
        "--topologies",
        default="single",
        help="Redis topologies to run scenarios 1, 2 and 5 on, beside the single node: "
        "single,sentinel,cluster (each started by the bench)",
    )
    replay = sub.add_parser(
        "replay", help="publish a JSON-lines log of call events to calls/in, as a gateway would"
    )
    replay.add_argument("file", type=Path)
    replay.add_argument(
        "--speed", type=float, default=0.0,
        help="times faster than the calls came (1 = their own pace); default 0: at once",
    )  # fmt: skip
    replay.add_argument(
        "--restamp", action="store_true",
        help="received_at: when each call is sent (an exercise, not a gap fill)",
    )  # fmt: skip
    units = sub.add_parser("units", help="the unit registry").add_subparsers(
        dest="units_command", required=True
    )
    load = units.add_parser("load", help="register units from a JSON-lines or CSV file")
    load.add_argument("file", type=Path)
    archive = sub.add_parser(
        "archive", help="move what is over from Redis to the history store (CAD_DATABASE_URL)"
    )
    archive.add_argument("--once", action="store_true", help="until caught up, then exit")
    token = sub.add_parser(
        "token", help="print a development token signed with CAD_AUTH_DEV_SECRET"
    )
    token.add_argument("--sub", required=True, help="who: a warrant number such as PC1234")
    token.add_argument(
        "--role", action="append", required=True, choices=[r.value for r in Role],
        help="a role the token grants (repeat for several)",
    )  # fmt: skip
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    return parser


def _token(settings: Settings, subject: str, roles: list[str], ttl_s: int) -> int:
    if not settings.auth_dev_secret:
        print(
            "cad token: set CAD_ENVIRONMENT=development and CAD_AUTH_DEV_SECRET (32+ chars), "
            "the same as the service's",
            file=sys.stderr,
        )
        return 2
    print(dev_token_for(settings, subject=subject, roles=[Role(r) for r in roles], ttl_s=ttl_s))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cad` console script."""
    args = _parser().parse_args(argv)
    settings = get_settings()
    if args.command == "serve":
        configure_logging(settings.log_level, settings.log_file)
        from service.server import server_for

        server_for(settings).run()
        return 0
    if args.command == "demo":
        from service.demo.runner import DemoOptions, run_demo

        options = DemoOptions(
            duration_s=args.duration,
            rate_per_s=args.rate,
            seed=args.seed,
            units_per_area=args.units_per_area,
            time_scale=args.time_scale,
        )
        return uvloop.run(run_demo(options))
    if args.command == "bench":
        configure_logging(settings.log_level, settings.log_file)
        from loadtests.bench.command import bench_command

        only = frozenset(n.strip() for n in args.only.split(",") if n.strip())
        return bench_command(
            quick=args.quick, json_path=args.json, only=only, topologies=args.topologies
        )
    if args.command == "replay":
        from service.replay import replay

        return asyncio.run(replay(settings, args.file, speed=args.speed, restamp=args.restamp))
    if args.command == "units":
        from service.units_command import load_units

        return asyncio.run(load_units(settings, args.file))
    if args.command == "archive":
        configure_logging(settings.log_level, settings.log_file)
        from service.archive_command import archive

        return asyncio.run(archive(settings, once=args.once))
    if args.command == "token":
        return _token(settings, args.sub, args.role, args.ttl)
    return 2


if __name__ == "__main__":
    sys.exit(main())
