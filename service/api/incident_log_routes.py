"""An incident's log over HTTP: remarks, location and type corrections, the caller's number,
and a supervisor's amendment of a result. Included before the incident routes, whose
`/{ref:path}` would otherwise take these paths for references."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends

from cad.errors import NotFoundError
from cad.incident_record import IncidentRecord
from callhandling.incident_log import IncidentLog
from callhandling.incidents import find_incident
from service.api.deps import IncidentDep, RuntimeDep, UnreadableDep
from service.api.error_docs import AUTHENTICATED, POSTED, UNAVAILABLE, documented
from service.api.field_refusal import refuse_field
from service.api.history_incidents import archived_record
from service.api.incident_log_schemas import (
    CallerOut,
    CallersOut,
    LocationIn,
    RemarkIn,
    RemarkOut,
    ResultIn,
    ResultOut,
    TypeCorrectedOut,
    TypeIn,
)
from service.api.unit_control_routes import control
from service.auth.deps import CallHandling, Supervising, Working
from service.runtime import Runtime

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])
# A change to one incident (409: its status does not allow it, or a conflicting request).
_CHANGES = documented(*AUTHENTICATED, *POSTED, 404, UNAVAILABLE)


def _log(runtime: Runtime) -> IncidentLog:
    return IncidentLog(runtime.call_scripts, runtime.catalogue)


async def _reread(runtime: Runtime, incident: IncidentRecord) -> IncidentRecord:
    """The incident as it stands now, by its ref (a correction may have moved it to another
    area); 404 if it has gone meanwhile."""
    found = await find_incident(runtime.redis, incident.ref)
    if found is None:
        raise NotFoundError(f"ref: no incident {incident.ref!r}")
    return found


@dataclass(frozen=True)
class _Kept:
    """An incident wherever it is kept: live in Redis, or archived in the history store."""

    record: IncidentRecord
    archived: bool


async def _kept(ref: str, runtime: RuntimeDep, unreadable: UnreadableDep) -> _Kept:
    with unreadable.reported():  # and answered 409, naming what is wrong with it
        live = await find_incident(runtime.redis, ref)
    if live is not None:
        return _Kept(live, archived=False)
    return _Kept(await archived_record(runtime, ref), archived=True)


KeptDep = Annotated[_Kept, Depends(_kept)]


@router.post("/{ref:path}/log", status_code=201, responses=_CHANGES)
async def add_remark(
    caller: Working, body: RemarkIn, kept: KeptDep, runtime: RuntimeDep
) -> RemarkOut:
    """Add a remark to the incident's log (any status, archived too); the author is the token's
    holder. It shows in the incident's chronology and the live map's feed."""
    now_ms = int(time.time() * 1000)
    incident = kept.record
    entry_id = await _log(runtime).remark(
        incident, body.text, now_ms=now_ms, actor=caller.actor, archived=kept.archived
    )
    return RemarkOut(
        id=entry_id, ref=incident.ref, text=body.text, actor=caller.actor, ts_ms=now_ms
    )


@router.post("/{ref:path}/location", responses=_CHANGES)
async def correct_location(
    caller: Working, body: LocationIn, incident: IncidentDep, runtime: RuntimeDep
) -> IncidentRecord:
    """Correct where the incident is, with a reason (audited with the old place). Inside its
    dispatch area it moves, in duplicate search too; into another area, the incident, its calls
    and its queue places move to that area (units already committed stay committed)."""
    await _log(runtime).correct_location(incident, body.location, body.reason, actor=caller.actor)
    corrected = await _reread(runtime, incident)
    await control(runtime).tell_corrected(
        corrected, what="location", reason=body.reason, actor=caller.actor
    )
    return corrected


@router.post("/{ref:path}/type", responses=_CHANGES)
async def correct_type(
    caller: Working, body: TypeIn, incident: IncidentDep, runtime: RuntimeDep
) -> TypeCorrectedOut:
    """Correct the incident's type, with a reason (one of the catalogue's: an unknown one is a
    422 listing them). The grade is never changed by it: the new type's default grade is
    suggested, and a call handler re-grades (`.../grade`) if they agree."""
    refused = runtime.catalogue.type_refusal(body.incident_type)
    if refused is not None:
        refuse_field("incident_type", refused, body.incident_type)
    done = await _log(runtime).correct_type(
        incident, body.incident_type, body.reason, actor=caller.actor
    )
    corrected = await _reread(runtime, incident)
    await control(runtime).tell_corrected(
        corrected, what="type", reason=body.reason, actor=caller.actor
    )
    return TypeCorrectedOut(
        incident=corrected, old_type=done.old_type,
        suggested_grade=done.suggested, regrade_suggested=done.grade is not done.suggested,
    )  # fmt: skip


@router.get("/{ref:path}/caller", responses=documented(*AUTHENTICATED, 404, 409, UNAVAILABLE))
async def read_callers(
    caller: CallHandling, incident: IncidentDep, runtime: RuntimeDep
) -> CallersOut:
    """The caller's number of each of the incident's calls, for call handlers and supervisors
    only; every read is audited (who, when, which call) and the number is never logged."""
    numbers = await _log(runtime).callers(incident, actor=caller.actor)
    return CallersOut(
        ref=incident.ref,
        callers=[CallerOut(call_id=n.call_id, cli=n.cli, kept=n.kept) for n in numbers],
    )


@router.post("/{ref:path}/result", responses=_CHANGES)
async def amend_result(
    caller: Supervising, body: ResultIn, kept: KeptDep, runtime: RuntimeDep
) -> ResultOut:
    """Amend a closed incident's result, with a reason, within CAD_RESULT_AMEND_WINDOW_S of its
    closing (supervisors only; audited with the old and the new code), archived or not: an
    archived incident's amendment reaches the history store with the archiver's next round.
    409: not closed, the window has passed, or the result is that already; 422: an unknown
    code."""
    refused = runtime.results.refusal(body.code)
    if refused is not None:
        refuse_field("code", refused, body.code)
    result = runtime.results.codes[body.code]
    previous = await _log(runtime).amend_result(
        kept.record, body.code, result, body.reason,
        window_s=runtime.settings.result_amend_window_s, actor=caller.actor,
        archived=kept.archived,
    )  # fmt: skip
    amended = (
        kept.record.model_copy(update={"close_code": body.code})
        if kept.archived
        else await _reread(runtime, kept.record)
    )
    return ResultOut(incident=amended, previous=previous, code=body.code, category=result.category)
