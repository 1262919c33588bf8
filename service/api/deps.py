"""FastAPI dependencies: the runtime, and existence checks that turn a missing thing into a 404."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request

from cad.errors import NotFoundError
from cad.incident_record import IncidentRecord
from cad.unreadable import UnreadableRecords
from callhandling.incidents import find_incident
from service.runtime import Runtime


# async, though it awaits nothing: FastAPI runs a plain `def` dependency in its thread pool, a
# thread hop (and a GIL hand-over) on every request.
async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def _unreadable_records(runtime: RuntimeDep) -> UnreadableRecords:
    return UnreadableRecords(runtime.metrics.unreadable_records)


# One per request: a record it finds unreadable is logged and counted once, however often read.
UnreadableDep = Annotated[UnreadableRecords, Depends(_unreadable_records)]


async def _incident(ref: str, runtime: RuntimeDep, unreadable: UnreadableDep) -> IncidentRecord:
    with unreadable.reported():  # and answered 409, naming what is wrong with it
        incident = await find_incident(runtime.redis, ref)
    if incident is None:
        raise NotFoundError(f"ref: no incident {ref!r}")
    return incident


IncidentDep = Annotated[IncidentRecord, Depends(_incident)]


def stale_before_ms(runtime: Runtime) -> int:
    """AVL fixes older than this (ms since the epoch) make a unit stale."""
    return int((time.time() - runtime.settings.stale_fix_s) * 1000)
