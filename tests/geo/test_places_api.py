"""GET /v1/places on the whole app (real Redis and broker), and GET /v1/geo/locate's street."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cad.settings import Settings
from cad.tokens import Role
from geo import GeoDataError, load_places
from service.places import provider_for
from tests.helpers import asgi_client, auth_headers, running_app

SAMPLE = Path(__file__).parent / "data" / "addressbase_sample.csv"


@pytest.fixture
async def client(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding only the least role: any role may search."""
    async with asgi_client(app, auth_headers(settings, Role.CALL_HANDLER)) as http:
        yield http


async def test_a_search_answers_located_places_best_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/places", params={"q": "St James's", "limit": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == "St James's"
    places = body["places"]
    assert [(p["name"], p["kind"], p["match"]) for p in places] == [
        ("St James's", "ward", "exact"),
        ("St James's Close", "street", "prefix"),
        ("St James's Market", "street", "prefix"),
        ("St James's Square", "street", "prefix"),
        ("St. James's Place", "street", "prefix"),
    ]
    ward = places[0]
    assert (ward["ref"], ward["detail"], ward["source"]) == ("E36007673", "Westminster", "builtin")
    assert ward["location"]["ward_code"] == "E36007673"
    for place in places:
        location = place["location"]
        assert (location["borough"], location["bcu"]) == ("Westminster", "CW")
        assert (location["lon"], location["lat"]) == (place["lon"], place["lat"])


async def test_the_default_limit_and_an_unknown_name(client: httpx.AsyncClient) -> None:
    many = (await client.get("/v1/places", params={"q": "street"})).json()["places"]
    assert len(many) == 10
    none = await client.get("/v1/places", params={"q": "xqzv"})
    assert none.status_code == 200
    assert none.json()["places"] == []
    # Punctuation alone is a query, of nothing.
    assert (await client.get("/v1/places", params={"q": "'"})).json()["places"] == []


def fields(response: httpx.Response) -> list[tuple[str | int, ...]]:
    assert response.status_code == 422, response.text
    return [tuple(error["loc"]) for error in response.json()["detail"]]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"q": ""}, "q"),
        ({}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": "abbey", "limit": "0"}, "limit"),
        ({"q": "abbey", "limit": "51"}, "limit"),
        ({"q": "abbey", "limit": "true"}, "limit"),
        ({"q": "abbey", "limit": "2.5"}, "limit"),
    ],
)
async def test_a_bad_query_is_a_422_naming_the_field(
    client: httpx.AsyncClient, params: dict[str, str], name: str
) -> None:
    assert fields(await client.get("/v1/places", params=params)) == [("query", name)]


async def test_anyone_needs_a_token(app: FastAPI) -> None:
    async with asgi_client(app) as anonymous:
        response = await anonymous.get("/v1/places", params={"q": "abbey"})
    assert response.status_code == 401


async def test_a_configured_address_gazetteer_is_searched_too(settings: Settings) -> None:
    configured = settings.model_copy(
        update={"place_providers": ("builtin", f"addressbase-csv:{SAMPLE}")}
    )
    async with (
        running_app(configured) as app,
        asgi_client(app, auth_headers(configured)) as client,
    ):
        response = await client.get("/v1/places", params={"q": "221b baker", "limit": 3})
    assert response.status_code == 200, response.text
    [address] = response.json()["places"]
    assert (address["name"], address["kind"], address["source"], address["ref"]) == (
        "221B Baker Street, London", "address", "addressbase", "900000000002",
    )  # fmt: skip
    assert address["location"]["borough"] == "Westminster"


async def test_locate_names_the_nearest_street(client: httpx.AsyncClient) -> None:
    on = await client.get("/v1/geo/locate", params={"lon": -0.1450, "lat": 51.5152})
    assert on.status_code == 200
    street = on.json()["street"]
    assert street["name"] == "Oxford Street"
    assert 0 <= street["distance_m"] < 40
    off = await client.get("/v1/geo/locate", params={"lon": -0.0035, "lat": 51.5416})
    assert off.json()["street"] is None  # Stratford: beyond the road graph


async def test_the_openapi_document_shows_the_route(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/places"]["get"]
    assert set(operation["responses"]) == {"200", "401", "403", "422", "429"}
    schema = document["components"]["schemas"]["PlacesOut"]
    assert schema["examples"][0]["places"][0]["name"] == "St James's Square"


async def test_the_documented_example_is_a_real_answer(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    example = document["components"]["schemas"]["PlacesOut"]["examples"][0]
    shown_query = example["query"]
    answer = await client.get("/v1/places", params={"q": shown_query, "limit": 1})
    [place] = answer.json()["places"]
    [shown] = example["places"]
    assert place["lon"] == pytest.approx(shown["lon"], abs=1e-5)
    assert place["lat"] == pytest.approx(shown["lat"], abs=1e-5)
    for body in (place, shown):
        for key in ("lon", "lat"):
            body.pop(key)
            body["location"].pop(key)
    # Nulls and all (service/api/example_nulls.py puts back those FastAPI drops).
    assert place == shown


def test_the_providers_a_setting_names() -> None:
    assert provider_for("builtin") is load_places()
    # A force's factory, named by module and attribute: here the built-in one's own loader.
    assert provider_for("python:geo.place_loading:load_places") is load_places()
    assert provider_for(f"addressbase-csv:{SAMPLE}").name == "addressbase"
    for bad in ("nope", "addressbase-csv:", "python:geo.place_loading:absent"):
        with pytest.raises(ValueError, match="place provider"):
            provider_for(bad)


async def test_a_provider_that_cannot_be_built_stops_the_start(settings: Settings) -> None:
    broken = settings.model_copy(update={"place_providers": ("addressbase-csv:/absent.csv",)})
    with pytest.raises(GeoDataError, match=r"absent\.csv: cannot read CSV"):
        async with running_app(broken):
            pass
