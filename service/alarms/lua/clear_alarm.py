"""`clear_alarm.lua`: clear an active alarm whose condition has ended; it expires later."""

from __future__ import annotations

from cad.keys import AlarmKeys
from service.alarms.lua import AUDIT_MAXLEN, alarm_script
from transport.scripts import ScriptClient, hash_reply

SCRIPT = alarm_script("clear_alarm")


async def clear_alarm(
    scripts: ScriptClient, *, alarm_id: str, now_ms: int, retention_ms: int
) -> dict[str, str] | None:
    """The alarm's stored fields when it was cleared now; None when it was not active."""
    keys = AlarmKeys()
    reply = await scripts.run(
        SCRIPT, [keys.alarm(alarm_id), keys.audit], [alarm_id, now_ms, retention_ms, AUDIT_MAXLEN]
    )
    return hash_reply(reply) if reply else None
