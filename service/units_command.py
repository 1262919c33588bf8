"""`cad units load FILE`: register the units a file describes, reporting every refused row."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cad.settings import Settings
from dispatch.scripts import register_scripts
from dispatch.unit_file import parse_unit_file
from dispatch.units import register_fleet
from transport.redis_client import open_redis


async def load_units(settings: Settings, path: Path) -> int:
    """Register every valid unit of the file; exit status 1 when any row was refused."""
    units, errors = parse_unit_file(path)
    for error in errors:
        print(f"{path}:{error.line}: refused: {error.reason}", file=sys.stderr)
    redis = open_redis(settings)
    try:
        scripts = register_scripts(redis)
        now_ms = int(time.time() * 1000)
        await register_fleet(redis, scripts, units, now_ms=now_ms, actor="cli:units-load")
    finally:
        await redis.aclose()
    print(f"registered {len(units)} units, refused {len(errors)} rows")
    return 1 if errors else 0
