"""GET /v1/places: as-you-type search over London's place names, each answer located."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from geo import FoundPlace
from service.api.deps import RuntimeDep
from service.api.error_docs import AUTHENTICATED, documented
from service.api.geo_api import PointLocationOut
from service.auth.deps import Reading
from service.places import load_place_search

router = APIRouter(prefix="/v1/places", tags=["geo"])

MAX_QUERY_CHARS = 100
MAX_LIMIT = 50

_EXAMPLE: dict[str, Any] = {
    "query": "st james's sq",
    "places": [
        {
            "name": "St James's Square",
            "kind": "street",
            "match": "prefix",
            "lon": -0.13571,
            "lat": 51.50766,
            "source": "builtin",
            "ref": None,
            "detail": None,
            "location": {
                "lon": -0.13571,
                "lat": 51.50766,
                "borough": "Westminster",
                "gss_code": "E09000033",
                "ward": "St James's",
                "ward_code": "E36007673",
                "bcu": "CW",
                "bcu_name": "Central West",
                "nearest_bcu": "CW",
                "force": "MPS",
                "in_force_area": True,
                "on_river": False,
                "outside_force_area": False,
                "distance_to_boundary_m": None,
                "eta_context": "inner",
            },
        }
    ],
}


class PlaceOut(BaseModel):
    """A place whose name matches: what it is, how it matched, where it is and what area."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: str  # landmark, borough, ward, street, fire_station, address, or a provider's own
    match: Literal["exact", "prefix", "word_prefix", "substring", "fuzzy"]
    lon: float
    lat: float
    source: str  # the provider: "builtin", "addressbase"...
    ref: str | None  # its id in the source: a ward's or borough's GSS code, a UPRN
    detail: str | None  # a ward's borough, a landmark's category, an address's postcode
    location: PointLocationOut

    @classmethod
    def of(cls, found: FoundPlace) -> PlaceOut:
        """The answer for one found place."""
        hit = found.hit
        return cls(
            name=hit.name,
            kind=hit.kind,
            match=found.match,
            lon=hit.lon,
            lat=hit.lat,
            source=hit.source,
            ref=hit.ref,
            detail=hit.detail,
            location=PointLocationOut.model_validate(found.location),
        )


class PlacesOut(BaseModel):
    """The best matches, best first: exact, prefix, word prefix, substring, fuzzy; then by kind
    (landmark, borough, ward, street, address, fire station), then the shorter name."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [_EXAMPLE]})

    query: str
    places: list[PlaceOut]


@router.get("", responses=documented(*AUTHENTICATED))
async def search_places(
    _: Reading,
    runtime: RuntimeDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="the name as typed so far; case, accents and punctuation are ignored",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many")] = 10,
) -> PlacesOut:
    """Streets, wards, boroughs, fire stations, well-known places (and a force's own address
    gazetteer, if configured) whose names match `q`, each with its borough, ward and BCU."""
    # async: a search takes a fraction of a millisecond, less than a hop to the thread pool.
    search = load_place_search(runtime.settings.place_providers)
    return PlacesOut(query=q, places=[PlaceOut.of(found) for found in search.search(q, limit)])
