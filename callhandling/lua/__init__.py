"""The call handling Lua scripts (calls and incidents): each `{name}.lua` here is called through
the one typed function of the module `{name}` beside it, which builds its KEYS from
`cad/keys.py`, takes its ARGV by name and reads its reply into a named answer. Each is read with
this package's prelude."""

from __future__ import annotations

from cad.incident_record import FINAL, OPEN
from transport.scripts import Script, lua_constants, lua_file, read_script

# Written into the scripts from the one definition in Python, as dispatch/lua's (why there).
PRELUDE = lua_constants({"OPEN": OPEN, "FINAL": FINAL}) + lua_file("callhandling", "prelude.lua")


def call_script(name: str) -> Script:
    """`callhandling/lua/{name}.lua`, read with the prelude."""
    return read_script("callhandling", name, prelude=PRELUDE)
