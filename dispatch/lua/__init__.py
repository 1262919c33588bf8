"""The dispatch core's Lua scripts: each `{name}.lua` here is called through the one typed
function of the module `{name}` beside it, which builds its KEYS from `cad/keys.py`, takes its
ARGV by name and reads its reply into a named answer. Each is read with this package's prelude."""

from __future__ import annotations

from cad.incident_record import FINAL, OPEN
from dispatch.claims import GRADE_RANK, RANK_WEIGHT, UNGRADED_RANK
from transport.scripts import Script, lua_constants, lua_file, read_script

# The constants the scripts share with the Python code, written into their text from the one
# definition in Python rather than sent with every call: they never change while a process runs,
# the claim (the hot path) packs and Lua parses no extra arguments for them, and a script whose
# constants change is another script (another SHA), so two versions side by side never run each
# other's.
PRELUDE = lua_constants(
    {
        "RANK": {grade.value: rank for grade, rank in GRADE_RANK.items()},
        "UNGRADED_RANK": UNGRADED_RANK,
        "WEIGHT": RANK_WEIGHT,
        "OPEN": OPEN,
        "FINAL": FINAL,
    }
) + lua_file("dispatch", "prelude.lua")


def dispatch_script(name: str) -> Script:
    """`dispatch/lua/{name}.lua`, read with the prelude."""
    return read_script("dispatch", name, prelude=PRELUDE)
