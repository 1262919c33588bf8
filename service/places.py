"""Which place providers GET /v1/places asks: composed once from CAD_PLACE_PROVIDERS."""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

from geo import load_gazetteer
from geo.address_csv import read_address_csv
from geo.place_loading import load_places
from geo.place_search import PlaceSearch
from geo.places import PlaceProvider

BUILTIN = "builtin"
ADDRESS_CSV = "addressbase-csv:"
PYTHON = "python:"


def provider_for(spec: str) -> PlaceProvider:
    """The provider a CAD_PLACE_PROVIDERS entry names; ValueError for one it cannot be."""
    if spec == BUILTIN:
        return load_places()
    if spec.startswith(ADDRESS_CSV) and spec[len(ADDRESS_CSV) :]:
        return read_address_csv(Path(spec[len(ADDRESS_CSV) :]))
    if spec.startswith(PYTHON):
        # A force's own gazetteer: a zero-argument factory, called once at start.
        module_name, _, factory_name = spec[len(PYTHON) :].partition(":")
        factory = getattr(importlib.import_module(module_name), factory_name, None)
        if not module_name or not callable(factory):
            raise ValueError(f"place provider {spec!r}: no callable {factory_name!r} there")
        provider: PlaceProvider = factory()
        return provider
    raise ValueError(
        f"place provider {spec!r}: not {BUILTIN!r}, {ADDRESS_CSV}PATH or {PYTHON}MODULE:FACTORY"
    )


@functools.cache
def load_place_search(specs: tuple[str, ...]) -> PlaceSearch:
    """The place search over these providers, in this order, built on first use (about a
    second for the built-in one: the road graph and the areas)."""
    return PlaceSearch([provider_for(spec) for spec in specs], load_gazetteer())
