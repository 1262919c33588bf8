"""Redis commands packed in one hiredis call: our shared connection's, and the blocking client's."""

from __future__ import annotations

from typing import Any

import hiredis
from redis.exceptions import DataError


def pack_command(*args: Any) -> bytes:
    """The RESP bytes of one command, as redis-py's packers would write them."""
    name = args[0]
    if isinstance(name, str) and " " in name:
        # redis-py spells some commands as one string ("SCRIPT LOAD"): Redis wants two words.
        args = (*name.split(), *args[1:])
    try:
        packed: bytes = hiredis.pack_command(args)
        return packed
    except TypeError as error:
        raise DataError(str(error)) from error


class HiredisPacker:
    """The packer redis-py's blocking client takes as its `command_packer` argument."""

    # redis-py's own looks at every argument in a generator first (an AVL batch sends eight
    # arguments a fix): same bytes, one C call.
    def pack(self, *args: Any) -> list[bytes]:
        """The command as the one chunk redis-py's connections write."""
        return [pack_command(*args)]
