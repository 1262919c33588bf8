"""The unit registry over HTTP: list, read and register units."""

from __future__ import annotations

import time

from fastapi import APIRouter, Query

from cad.errors import NotFoundError
from dispatch.unit_store import EXAMPLE_UNIT_VIEW, UnitView, all_areas, find_unit, list_units
from dispatch.units import Unit, register_unit
from service.api.deps import RuntimeDep, UnreadableDep, stale_before_ms
from service.api.error_docs import AUTHENTICATED, POSTED, UNAVAILABLE, documented
from service.api.example_docs import example_answer
from service.auth.deps import Reading, UnitAdmin

router = APIRouter(prefix="/v1/units", tags=["units"])
# CW31 on its incident, CW32 available at its base (no fix since it was registered).
_UNITS = [
    EXAMPLE_UNIT_VIEW,
    {**EXAMPLE_UNIT_VIEW, "unit": {**EXAMPLE_UNIT_VIEW["unit"], "callsign": "CW32",
                                   "base_lon": -0.135, "base_lat": 51.5},
     "status": "available", "incident_ref": None, "lon": -0.135, "lat": 51.5, "fix_ms": None},
]  # fmt: skip


@router.get("", responses={**example_answer(_UNITS), **documented(*AUTHENTICATED, UNAVAILABLE)})
async def get_units(
    _: Reading,
    runtime: RuntimeDep,
    unreadable: UnreadableDep,
    area: str | None = Query(default=None, pattern=r"^[A-Za-z0-9_-]{1,16}$"),
    status: str | None = Query(default=None, max_length=32),
) -> list[UnitView]:
    """Every unit (of one area, in one status, if asked), with status, position and staleness."""
    areas = [area] if area else await all_areas(runtime.redis)
    cutoff = stale_before_ms(runtime)
    views = [
        v
        for a in areas
        for v in await list_units(
            runtime.redis, area=a, stale_before_ms=cutoff, unreadable=unreadable
        )
    ]
    return [v for v in views if status is None or v.status == status]


@router.get("/{callsign}", responses=documented(*AUTHENTICATED, 404, 409, UNAVAILABLE))
async def get_unit(
    _: Reading, callsign: str, runtime: RuntimeDep, unreadable: UnreadableDep
) -> UnitView:
    """One unit (409 if its stored record does not parse: it must be registered again)."""
    with unreadable.reported():
        view = await find_unit(runtime.redis, callsign, stale_before_ms=stale_before_ms(runtime))
    if view is None:
        raise NotFoundError(f"callsign: no unit {callsign!r}")
    return view


@router.post("", status_code=201, responses=documented(*AUTHENTICATED, *POSTED, UNAVAILABLE))
async def post_unit(caller: UnitAdmin, unit: Unit, runtime: RuntimeDep) -> UnitView:
    """Register a unit, or update its record without disturbing its current work (this also
    repairs a record that no longer parses)."""
    await register_unit(
        runtime.redis, runtime.scripts, unit, now_ms=int(time.time() * 1000), actor=caller.actor
    )
    view = await find_unit(runtime.redis, unit.callsign, stale_before_ms=stale_before_ms(runtime))
    assert view is not None  # just registered
    return view
