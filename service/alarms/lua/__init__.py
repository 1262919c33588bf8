"""The alarms' Lua scripts: each `{name}.lua` here is called through the one typed function of
the module `{name}` beside it, which builds its KEYS from `cad/keys.py` (`AlarmKeys`, one hash
tag) and reads its reply into a named answer."""

from __future__ import annotations

from transport.scripts import Script, read_script

# Every alarm script's audit entry caps the stream near this many (XADD MAXLEN ~).
AUDIT_MAXLEN = 100_000


def alarm_script(name: str) -> Script:
    """`service/alarms/lua/{name}.lua`."""
    return read_script("service.alarms", name)
