"""`forget_alarm.lua`: drop an expired alarm's index entry (unless it was raised again)."""

from __future__ import annotations

from cad.keys import AlarmKeys
from service.alarms.lua import alarm_script
from transport.scripts import ScriptClient

SCRIPT = alarm_script("forget_alarm")


async def forget_alarm(scripts: ScriptClient, *, alarm_id: str) -> bool:
    """Whether the index entry of `alarm_id` was removed (its hash had expired)."""
    keys = AlarmKeys()
    return int(await scripts.run(SCRIPT, [keys.index, keys.alarm(alarm_id)], [alarm_id])) == 1
