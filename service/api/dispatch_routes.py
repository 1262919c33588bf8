"""Dispatchers' HTTP routes: an incident's recommendation, and dispatching it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cad.errors import ConflictError
from cad.events import Callsign
from cad.incident_record import IncidentStatus
from dispatch.claims import ClaimOutcome
from service.api.deps import IncidentDep, RuntimeDep
from service.api.error_docs import AUTHENTICATED, POSTED, UNAVAILABLE, documented
from service.auth.deps import Dispatching, Reading

router = APIRouter(prefix="/v1/incidents", tags=["dispatch"])


class UnitChoice(BaseModel):
    """A recommended unit and why."""

    callsign: str
    requirement: int
    distance_m: float
    eta_s: float
    reason: str


class UnitPassed(BaseModel):
    """A near unit not recommended, and why."""

    callsign: str
    distance_m: float
    eta_s: float
    reason: str


class RecommendationOut(BaseModel):
    """The recommendation for one incident."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "ref": "CAD 0042/04DEC26", "complete": True,
        "chosen": [{"callsign": "CW31", "requirement": 0, "distance_m": 258.3, "eta_s": 193.8,
                    "reason": "nearest available with response (1 of 1)"}],
        "passed": [{"callsign": "CW32", "distance_m": 1009.9, "eta_s": 245.6,
                    "reason": "not available: assigned to CAD 0041/04DEC26"}],
    }]})  # fmt: skip

    ref: str
    complete: bool
    chosen: list[UnitChoice]
    passed: list[UnitPassed]


class DispatchIn(BaseModel):
    """Accept the recommendation (no callsigns) or name the units; naming them needs a reason."""

    callsigns: Annotated[list[Callsign], Field(max_length=20)] = []
    reason: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _override_has_a_reason(self) -> DispatchIn:
        if self.callsigns and not (self.reason or "").strip():
            raise ValueError("reason: required when units are named (the override is audited)")
        return self

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{}, {"callsigns": ["CW01", "CW07"], "reason": "ARV already nearby"}]
        }
    )


class DispatchOut(BaseModel):
    """What was sent."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"ref": "CAD 0042/04DEC26", "outcome": "claimed", "units": ["CW31", "CW32"]}
    ]})  # fmt: skip

    ref: str
    outcome: str
    units: list[str]


@router.get(
    "/{ref:path}/recommendation", responses=documented(*AUTHENTICATED, 404, 409, UNAVAILABLE)
)
async def get_recommendation(
    _: Reading, incident: IncidentDep, runtime: RuntimeDep
) -> RecommendationOut:
    """Units for the incident's response plan by ETA, and why each other near unit is not."""
    result = await runtime.dispatcher.recommendation(incident)
    return RecommendationOut(
        ref=incident.ref,
        complete=result.complete,
        chosen=[UnitChoice(**vars(c)) for c in result.chosen],
        passed=[UnitPassed(**vars(p)) for p in result.passed],
    )


@router.post(
    "/{ref:path}/dispatch", responses=documented(*AUTHENTICATED, *POSTED, 404, UNAVAILABLE)
)
async def dispatch_incident(
    caller: Dispatching, body: DispatchIn, incident: IncidentDep, runtime: RuntimeDep
) -> DispatchOut:
    """Send the recommended units, or the named ones (audited with the reason)."""
    actor = caller.actor
    if incident.status == IncidentStatus.TRANSFER:
        raise ConflictError(
            f"ref: {incident.ref} is a call for {incident.transfer_force}, held for transfer: "
            "Met units are not sent (CAD_ATTEND_OUTSIDE_GRADES names the grades they attend)"
        )
    if body.callsigns:
        claim = await runtime.dispatcher.dispatch_named(
            incident, tuple(body.callsigns), actor=actor, reason=f"override: {body.reason}"
        )
    else:
        claim = await runtime.dispatcher.dispatch(incident, actor=actor, force=True)
    if claim.outcome not in (ClaimOutcome.CLAIMED, ClaimOutcome.ALREADY):
        detail = claim.reason or "the response plan cannot be met by available units"
        raise ConflictError(f"units: {detail} (incident is {claim.outcome.value})")
    return DispatchOut(
        ref=incident.ref, outcome=claim.outcome.value, units=[u.callsign for u in claim.units]
    )
