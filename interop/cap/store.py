"""CAP messages kept in Redis: each as JSON, indexed by when it was sent, and each message's one
successor (an update or the cancel), so that a chain never forks."""

from __future__ import annotations

from cad.errors import ConflictError, NotFoundError
from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys, InteropKeys
from interop.cap.message import CapMessage
from interop.lua.save_alert import save_alert_message
from transport.redis_types import AsyncRedis
from transport.scripts import ScriptClient

_KEYS = InteropKeys()


async def save_alert(
    scripts: ScriptClient, message: CapMessage, *, replacing: CapMessage | None
) -> None:
    """Keep `message`; when it follows `replacing`, as that one's successor (409 if an update
    or cancel got there first: the chain goes on from its latest message only)."""
    saved = await save_alert_message(
        scripts, identifier=message.identifier, message_json=message.model_dump_json(),
        sent_ms=message.sent_s * 1000, follows=replacing.identifier if replacing else "",
    )  # fmt: skip
    if saved == "taken" and replacing is not None:
        raise ConflictError(
            f"id: alert {replacing.identifier} was updated or cancelled already; "
            "update or cancel its latest message"
        )


async def audit_alert(
    redis: AsyncRedis, incident: IncidentRecord, message: CapMessage, *, actor: str
) -> None:
    """An `alert_issued` entry in the incident's audit stream: its chronology shows who told the
    public what, and when (the message itself is read by its id)."""
    await redis.xadd(AreaKeys(incident.area).audit, {
        "type": "alert_issued", "ref": incident.ref, "alert_id": message.identifier,
        "msg_type": message.msg_type, "kind": message.content.kind.value, "actor": actor,
        "ts_ms": message.sent_s * 1000,
    })  # fmt: skip


async def read_alert(scripts: ScriptClient, identifier: str) -> CapMessage:
    """The message kept under `identifier` (404 if none)."""
    raw = await scripts.redis.get(_KEYS.alert(identifier))
    if raw is None:
        raise NotFoundError(f"id: no alert {identifier!r}")
    return CapMessage.model_validate_json(raw)
