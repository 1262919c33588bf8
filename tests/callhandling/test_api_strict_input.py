"""Every HTTP input is validated strictly: a boolean or a string is never a number, a number is
never a string, a time is ISO 8601 text within the clock bounds; each refusal is a 422 naming the
field, and nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from cad.keys import GlobalKeys


def _call(call_id: str, /, **changes: object) -> dict[str, Any]:
    """An ungraded call at Trafalgar Square (it queues), with the fields of `changes` set;
    `location_*` names a field of the location."""
    location: dict[str, object] = {"lon": -0.1281, "lat": 51.508, "radius_m": 35}
    body: dict[str, Any] = {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
    }  # fmt: skip
    for name, value in changes.items():
        if name.startswith("location_"):
            location[name.removeprefix("location_")] = value
        else:
            body[name] = value
    return {**body, "location": location}


def _fields(response: httpx.Response) -> list[tuple[str | int, ...]]:
    assert response.status_code == 422, response.text
    return [tuple(error["loc"]) for error in response.json()["detail"]]


def _when(offset: timedelta | str) -> str:
    """A fixed time, or one `offset` from now."""
    return offset if isinstance(offset, str) else (datetime.now(UTC) + offset).isoformat()


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"location_lat": True}, ("body", "location", "lat")),
        ({"location_lat": "51.508"}, ("body", "location", "lat")),
        ({"location_lat": None}, ("body", "location", "lat")),
        ({"location_lon": False}, ("body", "location", "lon")),
        ({"location_radius_m": False}, ("body", "location", "radius_m")),
        ({"location_radius_m": "35"}, ("body", "location", "radius_m")),
        ({"call_id": 123}, ("body", "call_id")),
        ({"call_id": None}, ("body", "call_id")),
        ({"source": 999}, ("body", "source")),
        ({"cli": 7700900123}, ("body", "cli")),
        ({"received_at": 1_764_806_400}, ("body", "received_at")),
        ({"received_at": "1764806400"}, ("body", "received_at")),
        ({"received_at": None}, ("body", "received_at")),
        ({"schema_version": True}, ("body", "schema_version")),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else "",
)
async def test_a_call_of_the_wrong_types_is_a_422_naming_the_field_and_records_nothing(
    client: httpx.AsyncClient, redis: Redis, changes: dict[str, object], where: tuple[str, ...]
) -> None:
    refused = await client.post("/v1/calls", json=_call("typed", **changes))
    assert _fields(refused) == [where]
    assert await redis.hlen(GlobalKeys().incident_area) == 0
    assert await redis.keys("*:call:*") == []


@pytest.mark.parametrize(
    ("received_at", "says"),
    [
        ("9999-12-31T00:00:00Z", "ahead of the service clock (allowed skew 60 s)"),
        (timedelta(hours=2), "7200 s ahead of the service clock"),
        (timedelta(seconds=90), "ahead of the service clock"),
        ("1970-01-01T00:00:00Z", "behind the service clock (maximum age 86400 s)"),
        (timedelta(hours=-25), "behind the service clock (maximum age 86400 s)"),
    ],
    ids=["year-9999", "two-hours-ahead", "90-s-ahead", "1970", "25-hours-old"],
)
async def test_a_call_out_of_the_clock_bounds_is_a_422_naming_received_at(
    client: httpx.AsyncClient, redis: Redis, received_at: timedelta | str, says: str
) -> None:
    refused = await client.post("/v1/calls", json=_call("timed", received_at=_when(received_at)))
    assert _fields(refused) == [("body", "received_at")]
    message = refused.json()["detail"][0]["msg"]
    assert message.startswith("received_at: ")
    assert says in message
    assert await redis.hlen(GlobalKeys().incident_area) == 0


@pytest.mark.parametrize(
    "offset", [timedelta(seconds=20), timedelta(hours=-23)], ids=["ahead", "old"]
)
async def test_a_call_within_the_bounds_keeps_its_time_beside_the_services(
    client: httpx.AsyncClient, redis: Redis, offset: timedelta
) -> None:
    received_at = _when(offset)
    before_ms = int(datetime.now(UTC).timestamp() * 1000)
    created = await client.post("/v1/calls", json=_call("in-bounds", received_at=received_at))
    assert created.status_code == 201, created.text
    stamp_ms = int(datetime.fromisoformat(received_at).timestamp() * 1000)
    assert created.json()["incident"]["incident"]["received_ms"] == stamp_ms
    (key,) = await redis.keys("*:call:in-bounds")
    record = await redis.hgetall(key)
    assert int(record["received_ms"]) == stamp_ms
    after_ms = int(datetime.now(UTC).timestamp() * 1000)
    assert before_ms <= int(record["recorded_ms"]) <= after_ms


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"base_lat": False}, "base_lat"),
        ({"base_lat": "51.51"}, "base_lat"),
        ({"base_lon": True}, "base_lon"),
        ({"base_lon": None}, "base_lon"),
        ({"crew": True}, "crew"),
        ({"crew": "2"}, "crew"),
        ({"crew": 2.5}, "crew"),
        ({"callsign": 1234}, "callsign"),
        ({"area": 7}, "area"),
    ],
    ids=repr,
)
async def test_a_unit_of_the_wrong_types_is_a_422_and_not_registered(
    client: httpx.AsyncClient, redis: Redis, changes: dict[str, object], field: str
) -> None:
    unit = {"callsign": "CW77", "area": "CW", "base_lon": -0.13, "base_lat": 51.51, **changes}
    assert _fields(await client.post("/v1/units", json=unit)) == [("body", field)]
    assert await redis.hlen(GlobalKeys().unit_area) == 0


@pytest.fixture
async def ref(client: httpx.AsyncClient) -> str:
    """An open, ungraded incident to send the bodies to."""
    created = await client.post("/v1/calls", json=_call("for-bodies"))
    assert created.status_code == 201, created.text
    value: str = created.json()["incident"]["incident"]["ref"]
    return value


@pytest.mark.parametrize(
    ("action", "body", "where"),
    [
        ("grade", {"thrive": {"vulnerability": "yes"}}, ("body", "thrive", "vulnerability")),
        ("grade", {"thrive": {"investigation": 1}}, ("body", "thrive", "investigation")),
        ("grade", {"thrive": {"threat": 3}}, ("body", "thrive", "threat")),
        ("grade", {"thrive": {}, "grade": 1, "reason": "x"}, ("body", "grade")),
        ("grade", {"thrive": {}, "grade": "I", "reason": 5}, ("body", "reason")),
        ("links", {"call_id": 123}, ("body", "call_id")),
        ("dispatch", {"callsigns": [1], "reason": "near"}, ("body", "callsigns", 0)),
        ("dispatch", {"callsigns": ["CW01"], "reason": True}, ("body", "reason")),
        ("close", {"code": 1}, ("body", "code")),
        ("cancel", {"note": 42}, ("body", "note")),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
async def test_incident_bodies_of_the_wrong_types_are_422s_naming_the_field(
    client: httpx.AsyncClient, ref: str, action: str, body: dict[str, object], where: tuple[str]
) -> None:
    before = (await client.get(f"/v1/incidents/{ref}")).json()
    assert _fields(await client.post(f"/v1/incidents/{ref}/{action}", json=body)) == [where]
    after = (await client.get(f"/v1/incidents/{ref}")).json()
    assert after["incident"] == before["incident"]
    assert after["chronology"] == before["chronology"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("lon=-0.1281&lat=true", "lat"),
        ("lon=nan&lat=51.508", "lon"),
        ("lon=-0.1281&lat=51.508&radius_m=inf", "radius_m"),
        ("lon=-0.1281&lat=51.508&radius_m=-infinity", "radius_m"),
        ("lon=-0.1281&lat=", "lat"),
        ("lon=0x10&lat=51.508", "lon"),
        ("lon=-0.1281&lat=51.508&radius_m=false", "radius_m"),
    ],
)
async def test_query_numbers_that_are_no_numbers_are_422s_naming_the_parameter(
    client: httpx.AsyncClient, query: str, name: str
) -> None:
    assert _fields(await client.get(f"/v1/geo/locate?{query}")) == [("query", name)]
