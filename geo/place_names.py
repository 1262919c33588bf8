"""How place names compare: case, accents and punctuation ignored ("St. James's" = "st jamess")."""

from __future__ import annotations

import re
import unicodedata

# Dropped, not spaced: "James's" is one word, typed "jamess", "james's" or "james’s".
_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
# Both spellings occur in the road graph ("Saint Michael's Street", "St John's Wood Road").
_ALIASES = {"saint": "st"}


def normalise(text: str) -> str:
    """Lower-case words of ASCII letters and digits, single-spaced: the form names match in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = _NOT_WORD.sub(" ", _APOSTROPHES.sub("", plain)).split()
    return " ".join(_ALIASES.get(word, word) for word in words)
