"""The unit registry: who the units are, where they are based, and their registration in Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cad.events import Callsign, Integral, Latitude, Longitude, UnitStatus, WholeNumber
from cad.incident_types import Capability
from cad.keys import AreaKeys, GlobalKeys
from cad.unreadable import log_unreadable, unreadable_record
from dispatch.geo_sets import compact_geo_sets
from dispatch.lua.register_unit import register_unit_record
from dispatch.scripts import DispatchScripts
from transport.redis_types import AsyncRedis

# Units registered at once when a whole fleet is loaded: a short queue of scripts, not thousands.
_FLEET_BATCH = 50


class UnitType(StrEnum):
    """Kinds of police resource a control room deploys."""

    IRV = "irv"  # incident response vehicle
    ARV = "arv"  # armed response vehicle
    DOG = "dog"
    TRAFFIC = "traffic"
    PUBLIC_ORDER = "public_order"
    FOOT = "foot"


class Unit(BaseModel):
    """A unit's registry record."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [{
                "callsign": "CW31", "unit_type": "irv", "capabilities": ["response"], "area": "CW",
                "crew": 2, "base_lon": -0.1300, "base_lat": 51.5100,
            }]
        },
    )  # fmt: skip

    callsign: Callsign
    unit_type: UnitType = UnitType.IRV
    capabilities: frozenset[Capability] = frozenset({"response"})
    area: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")]
    crew: Annotated[WholeNumber, Field(ge=1, le=12), Integral] = 2
    base_lon: Longitude
    base_lat: Latitude

    @field_validator("capabilities", mode="before")
    @classmethod
    def _each_capability_once(cls, value: object) -> object:
        # A set would quietly drop the repeat; the schema says each is named once (uniqueItems).
        if isinstance(value, list | tuple):
            repeated = sorted({c for c in value if isinstance(c, str) and value.count(c) > 1})
            if repeated:
                raise ValueError(f"named more than once: {', '.join(repeated)}")
        return value


async def register_unit(
    redis: AsyncRedis, scripts: DispatchScripts, unit: Unit, *, now_ms: int, actor: str
) -> UnitStatus:
    """Add or update a unit; a new unit starts available at its base."""
    previous = await redis.hget(AreaKeys(unit.area).units, unit.callsign)
    dropped = sorted(_capabilities_held(unit, previous) - unit.capabilities)
    status = await register_unit_record(
        scripts, area=unit.area, callsign=unit.callsign, record=unit.model_dump_json(),
        base_lon=unit.base_lon, base_lat=unit.base_lat, capabilities=sorted(unit.capabilities),
        dropped=dropped, now_ms=now_ms, actor=actor,
    )  # fmt: skip
    glob = GlobalKeys()
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hset(glob.unit_area, unit.callsign, unit.area)
        pipe.sadd(glob.areas, unit.area)
        await pipe.execute()
    return status


def _capabilities_held(unit: Unit, previous: str | None) -> frozenset[str]:
    """The capability sets the unit's stored record puts it in. A record that does not parse is
    being repaired by this registration: the capabilities it still names are left all the same."""
    if not previous:
        return frozenset()
    try:
        return Unit.model_validate_json(previous).capabilities
    except ValueError as exc:
        log_unreadable(unreadable_record("unit", unit.area, unit.callsign, exc))
    with contextlib.suppress(ValueError):
        named = json.loads(previous).get("capabilities") if previous.startswith("{") else None
        if isinstance(named, list):
            return frozenset(c for c in named if isinstance(c, str))
    return frozenset()


async def register_fleet(
    redis: AsyncRedis, scripts: DispatchScripts, units: Sequence[Unit], *, now_ms: int, actor: str
) -> list[UnitStatus]:
    """Register many units, a batch at a time, then re-pack their areas' geo sets."""
    statuses: list[UnitStatus] = []
    for i in range(0, len(units), _FLEET_BATCH):
        statuses += await asyncio.gather(
            *(
                register_unit(redis, scripts, u, now_ms=now_ms, actor=actor)
                for u in units[i : i + _FLEET_BATCH]
            )
        )
    await compact_geo_sets(redis, scripts, {u.area for u in units})
    return statuses
