"""Incidents over HTTP: the queue, one incident with its chronology, grading, linking, closing."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from cad.incident_record import IncidentRecord, IncidentStatus
from callhandling.clocks import TARGET_S, Clocks, clocks
from callhandling.grade_history import grade_history, stored_thrive
from callhandling.grading import GradeDecision
from callhandling.incident_service import IncidentService
from callhandling.incidents import find_incident
from callhandling.jurisdiction import attended_grades
from callhandling.queue import awaiting_results, open_incidents, pending_queue, queue_alarms
from callhandling.transfers import transfer_queue
from service.api.deps import IncidentDep, RuntimeDep, UnreadableDep
from service.api.error_docs import AUTHENTICATED, POSTED, UNAVAILABLE, documented
from service.api.example_docs import example_answer, examples_answer
from service.api.field_refusal import refuse_field
from service.api.history_incidents import archived_detail, archived_page, full_chronology
from service.api.history_routes import CODE, TEXT, IncidentCursor, IsoTime
from service.api.history_schemas import EXAMPLE_ARCHIVED, ArchivedIncidents
from service.api.schemas import (
    EXAMPLE_LIVE_LIST,
    CloseIn,
    EndIn,
    IncidentDetail,
    IncidentList,
    IncidentView,
    LinkIn,
    QueueAlarm,
)
from service.auth.deps import CallHandling, Dispatching, Reading
from service.runtime import Runtime

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])
# What a change to one incident can answer besides its own (409: an illegal transition).
_CHANGES = documented(*AUTHENTICATED, *POSTED, 404, UNAVAILABLE)
# Predicting a breach needs a recommendation each: only the head of the queue gets one.
_PREDICT_FOR = 20


def _service(runtime: Runtime) -> IncidentService:
    return IncidentService(
        runtime.redis, runtime.call_scripts, runtime.dispatcher,
        attended_outside=attended_grades(runtime.settings),
    )  # fmt: skip


async def _clocks(runtime: Runtime, incident: IncidentRecord, *, predict: bool) -> Clocks:
    best = None
    if predict and incident.grade in TARGET_S and incident.status == "pending":
        advice = await runtime.dispatcher.recommendation(incident)
        best = min((c.eta_s for c in advice.chosen), default=None)
    return clocks(incident, now_ms=int(time.time() * 1000), best_eta_s=best)


# The list answers one of two shapes, by the status asked for.
_LIST_EXAMPLES = examples_answer({
    "live": ("pending, open, awaiting_result or transfer: incidents with clocks, and alarms",
             EXAMPLE_LIVE_LIST),
    "archived": ("closed, cancelled, referred, transferred or archived: a page of the history "
                 "store's search", EXAMPLE_ARCHIVED),
})  # fmt: skip
_LINKED = {
    "ref": "CAD 0042/04DEC26",
    "call_id": "999-20261204-0043",
    "outcome": "moved_and_cancelled",
}


@router.get("", responses={**_LIST_EXAMPLES, **documented(*AUTHENTICATED, UNAVAILABLE)})
async def list_incidents(
    _: Reading,
    runtime: RuntimeDep,
    unreadable: UnreadableDep,
    status: Literal[
        "pending",
        "open",
        "awaiting_result",
        "transfer",
        "closed",
        "cancelled",
        "referred",
        "transferred",
        "archived",
    ] = Query(
        default="open",
        description=(
            "pending: the queue, by grade then age; awaiting_result: every unit has cleared "
            "and the incident waits for a dispatcher's result code, longest waiting first; "
            "transfer: calls held for another force, oldest first; closed, cancelled, referred, "
            "transferred (or archived: any of them): the history store's search, newest first, "
            "filtered by the parameters below and paged by `cursor`"
        ),
    ),
    limit: int = Query(default=200, ge=1, le=2_000),
    from_: Annotated[IsoTime | None, Query(alias="from", description="created at or after")] = None,
    to: Annotated[IsoTime | None, Query(description="created before")] = None,
    area: str | None = Query(default=None, pattern=r"^[A-Za-z0-9_-]{1,16}$"),
    type_: str | None = Query(default=None, alias="type", pattern=CODE),
    grade: Literal["I", "S", "E", "R"] | None = Query(default=None),
    result: str | None = Query(default=None, pattern=CODE, description="the result code"),
    q: str | None = Query(
        default=None, pattern=TEXT, max_length=200, description="words of ref, type, notes"
    ),
    cursor: str | None = IncidentCursor,
) -> IncidentList | ArchivedIncidents:
    """The pending queue or all open incidents, by grade then age, or the incidents awaiting
    their result, or those held for transfer to another force, with clocks and alarms; or the
    archived incidents that match (status closed, cancelled, referred, transferred or archived)."""
    if status in ("closed", "cancelled", "referred", "transferred", "archived"):
        return await archived_page(
            runtime, status=None if status == "archived" else status, created_from=from_,
            created_to=to, area=area, incident_type=type_, grade=grade, result=result, q=q,
            limit=limit, cursor=cursor,
        )  # fmt: skip
    if status == "pending":
        found = await pending_queue(runtime.redis, limit=limit, unreadable=unreadable)
    elif status == "awaiting_result":
        found = await awaiting_results(runtime.redis, limit=limit, unreadable=unreadable)
    elif status == "transfer":
        found = await transfer_queue(runtime.redis, limit=limit, unreadable=unreadable)
    else:
        found = await open_incidents(runtime.redis, limit=limit, unreadable=unreadable)
    views = [
        IncidentView(incident=i, clocks=await _clocks(runtime, i, predict=n < _PREDICT_FOR))
        for n, i in enumerate(found)
    ]
    alarms = queue_alarms(
        found, now_ms=int(time.time() * 1000), max_age_s=runtime.settings.queue_alarm_age_s
    )
    return IncidentList(
        incidents=views, alarms=[QueueAlarm(ref=a.ref, waited_s=a.waited_s) for a in alarms]
    )


@router.post("/{ref:path}/grade", responses=_CHANGES)
async def grade_incident(
    caller: CallHandling, decision: GradeDecision, incident: IncidentDep, runtime: RuntimeDep
) -> IncidentView:
    """Grade with THRIVE; overriding the suggested grade needs a reason; every grade is kept."""
    updated = await _service(runtime).grade(incident, decision, actor=caller.actor)
    return IncidentView(incident=updated, clocks=await _clocks(runtime, updated, predict=True))


@router.post("/{ref:path}/links", responses={**example_answer(_LINKED), **_CHANGES})
async def link_call(
    caller: CallHandling, body: LinkIn, incident: IncidentDep, runtime: RuntimeDep
) -> dict[str, str]:
    """Link a call to this incident; linking never dispatches anything."""
    outcome = await _service(runtime).link(incident, body.call_id, actor=caller.actor)
    return {"ref": incident.ref, "call_id": body.call_id, "outcome": outcome}


@router.post("/{ref:path}/close", responses=_CHANGES)
async def close_incident(
    caller: Dispatching, body: CloseIn, incident: IncidentDep, runtime: RuntimeDep
) -> IncidentRecord:
    """Close an incident with a result code from the catalogue (an unknown one is a 422 listing
    the valid codes): one awaiting its result, or an open one (409 while units are still
    committed)."""
    refused = runtime.results.refusal(body.code)
    if refused is not None:
        refuse_field("code", refused, body.code)
    result = runtime.results.codes[body.code]
    return await _service(runtime).set_status(
        incident, IncidentStatus.CLOSED, code=body.code, category=result.category.value,
        note=body.note, actor=caller.actor,
    )  # fmt: skip


@router.post("/{ref:path}/cancel", responses=_CHANGES)
async def cancel_incident(
    caller: Dispatching, body: EndIn, incident: IncidentDep, runtime: RuntimeDep
) -> IncidentRecord:
    """Cancel an incident nothing was sent to."""
    return await _service(runtime).set_status(
        incident,
        IncidentStatus.CANCELLED,
        code="",
        category="",
        note=body.note,
        actor=caller.actor,
    )


@router.post("/{ref:path}/refer", responses=_CHANGES)
async def refer_incident(
    caller: Dispatching, body: EndIn, incident: IncidentDep, runtime: RuntimeDep
) -> IncidentRecord:
    """Refer an incident to another agency or service (no police deployment)."""
    return await _service(runtime).set_status(
        incident,
        IncidentStatus.REFERRED,
        code="",
        category="",
        note=body.note,
        actor=caller.actor,
    )


@router.get("/{ref:path}", responses=documented(*AUTHENTICATED, 404, 409, UNAVAILABLE))
async def get_incident(
    _: Reading, ref: str, runtime: RuntimeDep, unreadable: UnreadableDep
) -> IncidentDetail:
    """One incident with its clocks, its calls, its full chronology (remarks and corrections
    among it), its last THRIVE assessment and its grade history; an incident archived and gone
    from Redis comes from the history store, in the same shape."""
    with unreadable.reported():
        incident = await find_incident(runtime.redis, ref)
    if incident is None:
        return await archived_detail(runtime, ref)
    service = _service(runtime)
    chronology = await full_chronology(
        runtime, incident.area, incident.ref, await service.chronology(incident)
    )
    return IncidentDetail(
        incident=incident,
        clocks=await _clocks(runtime, incident, predict=True),
        calls=await service.calls(incident),
        chronology=chronology,
        thrive=stored_thrive(await service.thrive(incident)),
        grade_history=grade_history(chronology, current=incident.grade),
    )
