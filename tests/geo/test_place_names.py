"""Names compare without case, accents, apostrophes or other punctuation."""

from __future__ import annotations

import pytest

from geo.place_names import normalise


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("St. James's Street", "st jamess street"),
        ("st james's", "st jamess"),
        ("ST JAMES’S", "st jamess"),  # a typographic apostrophe
        ("Saint Michael's Street", "st michaels street"),
        ("Elephant & Castle", "elephant and castle"),
        ("Harrow-on-the-Hill", "harrow on the hill"),
        ("  Hôtel   Café  ", "hotel cafe"),
        ("D'Arblay Street", "darblay street"),
        ("?!", ""),
    ],
)
def test_normalise(typed: str, normal: str) -> None:
    assert normalise(typed) == normal
