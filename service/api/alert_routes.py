"""Public alerts for an incident as OASIS CAP 1.2 (docs/interop.md): a supervisor issues one,
updates it, cancels it; anyone signed in reads each message's XML."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from cad.errors import ConflictError, NotFoundError
from callhandling.incidents import find_incident
from geo.jurisdiction import MET_NAME
from interop.cap.message import AlertContent, CapMessage, MsgType, Text, follow_up
from interop.cap.store import audit_alert, read_alert, save_alert
from interop.cap.xml import cap_xml
from interop.eido.ids import incident_id
from interop.partners import our_agency
from service.api.deps import RuntimeDep
from service.api.error_docs import AUTHENTICATED, POSTED, UNAVAILABLE, documented
from service.auth.deps import Reading, Supervising
from service.runtime import Runtime

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
MEDIA_TYPE = "application/cap+xml"

_CONTENT: dict[str, Any] = {
    "kind": "evacuation", "headline": "Evacuate Northumberland Avenue: suspected gas leak",
    "description": "A suspected gas leak near Trafalgar Square.",
    "instruction": "Leave the area shown now and keep away until told it is safe.",
    "area": {"description": "Northumberland Avenue and Craven Street",
             "circle": {"lon": -0.1255, "lat": 51.5066, "radius_m": 200.0}},
    "expires_in_min": 240,
}  # fmt: skip
_ROAD: dict[str, Any] = {
    "kind": "road_closure",
    "headline": "Whitehall closed between Trafalgar Square and Horse Guards",
    "description": "Whitehall is closed to all traffic while police deal with an incident.",
    "instruction": "Use another route.",
    "area": {"description": "Whitehall",
             "polygon": [[-0.1277, 51.5069], [-0.1262, 51.5069], [-0.1262, 51.5045],
                         [-0.1277, 51.5045]]},
    "expires_in_min": 120,
}  # fmt: skip


# The OpenAPI page's XML example: the evacuation above, as this service renders it.
EXAMPLE_XML = cap_xml(
    CapMessage(
        identifier="met.police.uk.alert.0b1e6d2c9a4f7e35",
        sender="cad@met.police.uk",
        sent_s=1796365440,
        msg_type="Alert",
        incident_ref="CAD 0042/04DEC26",
        incident_id=incident_id("CAD 0042/04DEC26", "met.police.uk"),
        content=AlertContent.model_validate(_CONTENT),
    ),
    sender_name=MET_NAME,
).decode()


class AlertIn(AlertContent):
    """A new alert: the incident it is about, and what the public is told."""

    incident_ref: Annotated[str, Field(min_length=1, max_length=64)]

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"incident_ref": "CAD 0042/04DEC26", **_CONTENT},
                                        {"incident_ref": "CAD 0042/04DEC26", **_ROAD}]}
    )  # fmt: skip


class UpdateIn(AlertContent):
    """What the public is told now, replacing the alert's last message."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ROAD]})


class CancelIn(BaseModel):
    """Why the alert is withdrawn."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "the road has reopened"}]}
    )

    note: Text


class AlertIssued(BaseModel):
    """One CAP message as issued: its id, kind, the messages it references, where its XML is."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{
            "id": "met.police.uk.alert.5f0c2a9e41d3b7c8", "msg_type": "Update",
            "sent": "2026-12-04T10:24:00+00:00", "incident_ref": "CAD 0042/04DEC26",
            "references": ["cad@met.police.uk,met.police.uk.alert.0b1e,2026-12-04T10:04:00+00:00"],
            "xml": "/v1/alerts/met.police.uk.alert.5f0c2a9e41d3b7c8.xml",
        }]}
    )  # fmt: skip

    id: str
    msg_type: MsgType
    sent: str
    incident_ref: str
    references: list[str]
    xml: str


_ISSUED = documented(*AUTHENTICATED, *POSTED, 404, UNAVAILABLE)


@router.post("", status_code=201, responses=_ISSUED)
async def issue_alert(caller: Supervising, body: AlertIn, runtime: RuntimeDep) -> AlertIssued:
    """Issue a CAP 1.2 alert (msgType Alert) for an incident: a road closure or an evacuation,
    its area a circle or a polygon."""
    incident = await find_incident(runtime.redis, body.incident_ref)
    if incident is None:
        raise NotFoundError(f"incident_ref: no incident {body.incident_ref!r}")
    agency = runtime.settings.agency_id
    message = CapMessage(
        identifier=_new_id(runtime), sender=f"cad@{agency}", sent_s=int(time.time()),
        msg_type="Alert", incident_ref=incident.ref, incident_id=incident_id(incident.ref, agency),
        content=AlertContent.model_validate(body.model_dump(exclude={"incident_ref"})),
    )  # fmt: skip
    await save_alert(runtime.call_scripts, message, replacing=None)
    await audit_alert(runtime.redis, incident, message, actor=caller.actor)
    return _issued(message)


@router.post("/{alert_id}/update", status_code=201, responses=_ISSUED)
async def update_alert(
    caller: Supervising, alert_id: str, body: UpdateIn, runtime: RuntimeDep
) -> AlertIssued:
    """Replace what an alert says (msgType Update, referencing every earlier message of it)."""
    content = AlertContent.model_validate(body.model_dump())
    return await _follow(runtime, alert_id, "Update", actor=caller.actor, content=content)


@router.post("/{alert_id}/cancel", status_code=201, responses=_ISSUED)
async def cancel_alert(
    caller: Supervising, alert_id: str, body: CancelIn, runtime: RuntimeDep
) -> AlertIssued:
    """Withdraw an alert (msgType Cancel, referencing every earlier message of it)."""
    return await _follow(runtime, alert_id, "Cancel", actor=caller.actor, note=body.note)


@router.get(
    "/{alert_id}.xml",
    response_class=Response,
    responses={
        200: {
            "description": "the CAP 1.2 `alert` document",
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}, "example": EXAMPLE_XML}},
        },
        **documented(*AUTHENTICATED, 404, UNAVAILABLE),
    },
)  # fmt: skip
async def alert_xml(_: Reading, alert_id: str, runtime: RuntimeDep) -> Response:
    """One CAP message as CAP 1.2 XML, valid against the OASIS schema."""
    message = await read_alert(runtime.call_scripts, alert_id)
    return Response(cap_xml(message, sender_name=our_agency(runtime.settings).name),
                    media_type=MEDIA_TYPE)  # fmt: skip


async def _follow(
    runtime: Runtime, alert_id: str, msg_type: MsgType, *, actor: str,
    content: AlertContent | None = None, note: str | None = None,
) -> AlertIssued:  # fmt: skip
    earlier = await read_alert(runtime.call_scripts, alert_id)
    if earlier.msg_type == "Cancel":
        raise ConflictError(f"id: alert {alert_id} is a cancel: nothing follows it")
    message = follow_up(
        earlier, identifier=_new_id(runtime), sent_s=max(int(time.time()), earlier.sent_s),
        msg_type=msg_type, content=content, note=note,
    )  # fmt: skip
    await save_alert(runtime.call_scripts, message, replacing=earlier)
    # Audited with its incident while it is held here (once archived, the alert stands alone).
    incident = await find_incident(runtime.redis, message.incident_ref)
    if incident is not None:
        await audit_alert(runtime.redis, incident, message, actor=actor)
    return _issued(message)


def _new_id(runtime: Runtime) -> str:
    return f"{runtime.settings.agency_id}.alert.{uuid.uuid4().hex[:16]}"


def _issued(message: CapMessage) -> AlertIssued:
    return AlertIssued(
        id=message.identifier, msg_type=message.msg_type, sent=message.sent,
        incident_ref=message.incident_ref, references=list(message.references),
        xml=f"/v1/alerts/{message.identifier}.xml",
    )  # fmt: skip
