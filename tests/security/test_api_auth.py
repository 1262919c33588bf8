"""Every endpoint against tokens of each role: 401 without a valid one, 403 without the role."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from redis.asyncio import Redis

from cad.settings import Settings
from cad.tokens import Role
from service.app import create_app
from tests.helpers import auth_headers, bearer

NO_REF = quote("CAD 0001/01JAN25", safe="")
CALL_HANDLING = {Role.CALL_HANDLER, Role.SUPERVISOR}
DISPATCHING = {Role.DISPATCHER, Role.SUPERVISOR}
UNIT_ADMIN = {Role.ADMIN, Role.SUPERVISOR}
ANYONE = set(Role)

# (method, path, allowed roles): an allowed role gets past authentication (404 or 422 here,
# since the incident does not exist and the bodies are empty); any other gets 403.
ENDPOINTS = [
    ("POST", "/v1/calls", CALL_HANDLING),
    ("POST", f"/v1/incidents/{NO_REF}/grade", CALL_HANDLING),
    ("POST", f"/v1/incidents/{NO_REF}/links", CALL_HANDLING),
    ("POST", f"/v1/incidents/{NO_REF}/dispatch", DISPATCHING),
    ("POST", f"/v1/incidents/{NO_REF}/close", DISPATCHING),
    ("POST", f"/v1/incidents/{NO_REF}/cancel", DISPATCHING),
    ("POST", f"/v1/incidents/{NO_REF}/refer", DISPATCHING),
    ("POST", "/v1/units", UNIT_ADMIN),
    ("GET", "/v1/incidents", ANYONE),
    ("GET", f"/v1/incidents/{NO_REF}", ANYONE),
    ("GET", f"/v1/incidents/{NO_REF}/recommendation", ANYONE),
    ("GET", "/v1/units", ANYONE),
    ("GET", "/v1/units/CW99", ANYONE),
    ("GET", "/v1/geo/locate?lon=-0.1281&lat=51.508", ANYONE),
    ("GET", "/v1/places?q=abbey", ANYONE),
    ("GET", "/v1/live/snapshot", ANYONE),
    ("GET", "/v1/live/kpis", ANYONE),
    ("GET", "/v1/live/boundaries", ANYONE),
    ("GET", f"/v1/live/incidents/{NO_REF}/chronology", ANYONE),
    ("GET", "/v1/alarms", ANYONE),
    ("POST", "/v1/alarms/queue_age-0123456789abcdef/ack", {Role.SUPERVISOR}),
    ("GET", "/v1/reports/kpis?from=2026-03-28T00:00:00Z&to=2026-03-29T00:00:00Z", DISPATCHING),
]


async def _send(client: httpx.AsyncClient, method: str, path: str, **kw: Any) -> httpx.Response:
    if method == "POST":
        return await client.post(path, json={}, **kw)
    return await client.get(path, **kw)


@pytest.mark.parametrize(("method", "path", "allowed"), ENDPOINTS)
async def test_each_endpoint_admits_exactly_its_roles(
    anon: httpx.AsyncClient, settings: Settings, method: str, path: str, allowed: set[Role]
) -> None:
    for role in Role:
        response = await _send(anon, method, path, headers=auth_headers(settings, role))
        if role in allowed:
            assert response.status_code not in (401, 403, 429), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["detail"].startswith("forbidden: missing role: needs ")
            assert role.value in response.json()["detail"]  # what the token has


@pytest.mark.parametrize(("method", "path", "allowed"), ENDPOINTS)
async def test_each_endpoint_refuses_a_request_without_a_token(
    anon: httpx.AsyncClient, method: str, path: str, allowed: set[Role]
) -> None:
    response = await _send(anon, method, path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "missing bearer token" in response.json()["detail"]


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'"),
        ("Bearer not-a-jwt", "malformed token"),
        ("Bearer {expired}", "token expired"),
        ("Bearer {forged}", "bad signature"),
    ],
)
async def test_a_bad_token_is_401_naming_why(
    anon: httpx.AsyncClient, settings: Settings, header: str, why: str
) -> None:
    expired = bearer(settings, Role.ADMIN, ttl_s=-3600)
    head, payload, _ = bearer(settings, Role.ADMIN).split(".")
    forged = f"{head}.{payload}.{'A' * 43}"
    value = header.format(expired=expired, forged=forged)
    response = await anon.get("/v1/units", headers={"Authorization": value})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert why in response.json()["detail"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/", "/live/static/main.js"])
async def test_probes_and_the_map_page_need_no_token(anon: httpx.AsyncClient, path: str) -> None:
    assert (await anon.get(path)).status_code == 200


async def test_the_event_stream_takes_the_token_from_the_query_and_nothing_else_does(
    anon: httpx.AsyncClient, settings: Settings
) -> None:
    token = bearer(settings, Role.CALL_HANDLER)
    # A malformed cursor ends the stream at once with 422: authentication was passed first.
    passed = await anon.get(f"/v1/events?access_token={token}&from=CW%3Dyesterday")
    assert passed.status_code == 422
    refused = await anon.get("/v1/events?from=CW%3Dyesterday")
    assert refused.status_code == 401
    assert (await anon.get(f"/v1/units?access_token={token}")).status_code == 401


async def test_the_audit_names_the_person_and_the_role_they_acted_in(
    anon: httpx.AsyncClient, settings: Settings
) -> None:
    handler = auth_headers(settings, Role.CALL_HANDLER, subject="PC1234")
    dispatcher = auth_headers(settings, Role.DISPATCHER, Role.SUPERVISOR, subject="PS777")
    call = {
        "call_id": "audit-1", "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": -0.1281, "lat": 51.508}, "incident_type": "theft_report",
    }  # fmt: skip
    recorded = await anon.post("/v1/calls", json=call, headers=handler)
    assert recorded.status_code == 201, recorded.text
    ref = quote(recorded.json()["incident"]["incident"]["ref"], safe="")
    cancelled = await anon.post(
        f"/v1/incidents/{ref}/cancel", json={"note": "caller rang back"}, headers=dispatcher
    )
    assert cancelled.status_code == 200, cancelled.text
    detail = (await anon.get(f"/v1/incidents/{ref}", headers=handler)).json()
    actors = {e.get("actor") for e in detail["chronology"]}
    assert {"user:PC1234(call_handler)", "user:PS777(dispatcher)"} <= actors
    assert not any(a and a.startswith("api:") for a in actors)


async def test_openapi_shows_the_bearer_scheme_and_each_routes_roles(
    anon: httpx.AsyncClient,
) -> None:
    doc = (await anon.get("/openapi.json")).json()
    schemes = doc["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["HTTPBearer"].items()
    post_units = doc["paths"]["/v1/units"]["post"]
    assert post_units["security"] == [{"HTTPBearer": ["admin", "supervisor"]}]
    assert "Roles: admin, supervisor." in post_units["description"]
    dispatch = doc["paths"]["/v1/incidents/{ref}/dispatch"]["post"]
    assert "Roles: dispatcher, supervisor." in dispatch["description"]
    assert "No authentication." in doc["paths"]["/healthz"]["get"]["description"]
    events = doc["paths"]["/v1/events"]["get"]
    assert "access_token" in {p["name"] for p in events["parameters"]}


async def test_an_idempotency_key_never_replays_across_tokens(
    anon: httpx.AsyncClient, settings: Settings
) -> None:
    call = {
        "call_id": "idem-1", "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": -0.1281, "lat": 51.508},
    }  # fmt: skip
    key = {"Idempotency-Key": "k-1"}
    assert (await anon.post("/v1/calls", json=call, headers=key)).status_code == 401
    first = await anon.post(
        "/v1/calls", json=call, headers=key | auth_headers(settings, Role.CALL_HANDLER)
    )
    assert first.status_code == 201  # the refusal without a token was not kept for the key
    again = await anon.post("/v1/calls", json=call, headers=key)
    assert again.status_code == 401  # and the answer is not handed to someone without one
    assert "idempotent-replayed" not in again.headers


async def test_a_jwks_file_verifies_the_identity_providers_tokens(
    rsa_app_client: tuple[httpx.AsyncClient, rsa.RSAPrivateKey], settings: Settings
) -> None:
    client, key = rsa_app_client
    claims = {
        "sub": "PC42", "roles": ["dispatcher"], "exp": int(time.time()) + 60,
        "iss": "https://idp.example", "aud": "cad",
    }  # fmt: skip
    good = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "idp-1"})
    ok = await client.get("/v1/units", headers={"Authorization": f"Bearer {good}"})
    assert ok.status_code == 200
    dev = await client.get("/v1/units", headers=auth_headers(settings))
    assert dev.status_code == 401
    assert "no trusted key" in dev.json()["detail"]
    other_aud = jwt.encode({**claims, "aud": "x"}, key, algorithm="RS256", headers={"kid": "idp-1"})
    wrong = await client.get("/v1/units", headers={"Authorization": f"Bearer {other_aud}"})
    assert wrong.status_code == 401
    assert "wrong audience" in wrong.json()["detail"]


async def test_with_no_key_configured_every_protected_endpoint_is_refused(
    settings: Settings, redis: Redis
) -> None:
    bare = settings.model_copy(update={"auth_dev_secret": None, "environment": "production"})
    application = create_app(bare)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://cad.test") as http:
            response = await http.get("/v1/units", headers=auth_headers(settings))
            assert (await http.get("/healthz")).status_code == 200
    assert response.status_code == 401
    assert "no token verification key is configured" in response.json()["detail"]
