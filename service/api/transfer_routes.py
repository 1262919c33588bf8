"""Another force's incidents over HTTP: recording the hand-over (the transfer queue itself is
`GET /v1/incidents?status=transfer`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cad.incident_record import FINAL, IncidentRecord
from callhandling.transfers import record_transfer
from service.api.deps import IncidentDep, RuntimeDep
from service.api.error_docs import AUTHENTICATED, POSTED, UNAVAILABLE, documented
from service.auth.deps import Dispatching

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])


class TransferIn(BaseModel):
    """The force the incident went to, its reference if it gave one, and a note."""

    force: Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
    reference: Annotated[str, Field(max_length=100)] = ""
    note: Annotated[str, Field(min_length=1, max_length=2_000, pattern=r"\S")]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "force": "Hertfordshire Constabulary", "reference": "HC-41/2611",
                "note": "accepted by their control room by phone",
            }]
        }
    )  # fmt: skip


@router.post(
    "/{ref:path}/transfer", responses=documented(*AUTHENTICATED, *POSTED, 404, UNAVAILABLE)
)
async def transfer_incident(
    caller: Dispatching, body: TransferIn, incident: IncidentDep, runtime: RuntimeDep
) -> IncidentRecord:
    """Record the hand-over of an incident to another force: status `transferred` (final),
    out of every queue, audited. 409 while a unit is still committed, or once it is final.
    When `force` names a configured partner agency (by name or id), the incident's EIDO is
    sent to it: on MQTT `cad/interop/out/{agency}`, and to its HTTPS endpoint if it has one,
    through the durable outbox (docs/interop.md)."""
    partner = runtime.partners.named(body.force)
    if partner is not None and incident.status not in FINAL:
        # Settled by the outbox if this request is cut short after the hand-over is recorded.
        await runtime.outbox.intend(partner, incident.ref)
    transferred = await record_transfer(
        runtime.redis, runtime.call_scripts, incident, force=body.force,
        reference=body.reference, note=body.note, actor=caller.actor,
    )  # fmt: skip
    if partner is not None:
        await runtime.outbox.enqueue(
            partner, transferred.ref, await runtime.eidos.eido(transferred)
        )
    return transferred
