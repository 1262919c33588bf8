"""GET /v1/geo/locate through a tiny app that includes only the geo router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api.geo_api import router


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://geo.test") as http:
        yield http


async def locate(client: httpx.AsyncClient, query: str) -> httpx.Response:
    return await client.get(f"/v1/geo/locate?{query}")


@pytest.mark.parametrize(
    ("query", "borough", "bcu", "force"),
    [
        ("lon=-0.1281&lat=51.5080", "Westminster", "CW", "MPS"),
        ("lon=-0.0886&lat=51.5133", "City of London", None, "CoLP"),
        ("lon=-0.4543&lat=51.4700", "Hillingdon", "WE", "MPS"),
        ("lon=-0.0035&lat=51.5416", "Newham", "NE", "MPS"),
    ],
)
async def test_a_point(
    client: httpx.AsyncClient, query: str, borough: str, bcu: str | None, force: str
) -> None:
    response = await locate(client, query)
    assert response.status_code == 200
    body = response.json()
    assert body["circle"] is None
    point = body["point"]
    assert (point["borough"], point["bcu"], point["force"]) == (borough, bcu, force)
    # Only Trafalgar Square lies on the road graph (Westminster's).
    street = body["street"]
    assert (street and street["name"]) == ("Trafalgar Square" if borough == "Westminster" else None)
    assert point["nearest_bcu"]


async def test_a_river_point(client: httpx.AsyncClient) -> None:
    point = (await locate(client, "lon=-0.1225&lat=51.5008")).json()["point"]
    assert point["on_river"] is True
    assert point["borough"] == "Westminster"
    assert point["distance_to_boundary_m"] == pytest.approx(75.7, abs=0.5)


async def test_a_point_outside_london(client: httpx.AsyncClient) -> None:
    point = (await locate(client, "lon=-0.2674&lat=51.3360")).json()["point"]
    assert point["outside_force_area"] is True
    assert point["force"] == "none"
    assert point["nearest_bcu"] == "SW"
    assert point["distance_to_boundary_m"] == pytest.approx(2544, abs=5)


async def test_a_circle(client: httpx.AsyncClient) -> None:
    response = await locate(client, "lon=-0.14964&lat=51.53057&radius_m=150")
    assert response.status_code == 200
    circle = response.json()["circle"]
    assert circle["ambiguous"] is True
    assert circle["radius_m"] == 150.0
    boroughs = {a["name"] for a in circle["areas"] if a["level"] == "borough"}
    assert boroughs == {"Camden", "Westminster"}
    shares = [a["share"] for a in circle["areas"]]
    assert shares == sorted(shares, reverse=True)


@pytest.mark.parametrize(
    ("query", "field", "kind"),
    [
        ("lat=51.5", "lon", "missing"),
        ("lon=-0.1", "lat", "missing"),
        ("lon=nan&lat=51.5", "lon", "finite_number"),
        ("lon=-0.1&lat=NaN", "lat", "finite_number"),
        ("lon=inf&lat=51.5", "lon", "finite_number"),
        ("lon=-0.1&lat=-inf", "lat", "finite_number"),
        ("lon=180.5&lat=51.5", "lon", "less_than_equal"),
        ("lon=-0.1&lat=-90.5", "lat", "greater_than_equal"),
        ("lon=abc&lat=51.5", "lon", "float_parsing"),
        ("lon=-0.1&lat=51.5&radius_m=0", "radius_m", "greater_than"),
        ("lon=-0.1&lat=51.5&radius_m=-5", "radius_m", "greater_than"),
        ("lon=-0.1&lat=51.5&radius_m=nan", "radius_m", "finite_number"),
        ("lon=-0.1&lat=51.5&radius_m=50001", "radius_m", "less_than_equal"),
    ],
)
async def test_bad_input_names_the_field(
    client: httpx.AsyncClient, query: str, field: str, kind: str
) -> None:
    response = await locate(client, query)
    assert response.status_code == 422
    errors: list[dict[str, Any]] = response.json()["detail"]
    assert [(e["loc"], e["type"]) for e in errors] == [(["query", field], kind)]
