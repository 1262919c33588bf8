"""The identity provider's keys fetched from its JWKS URL, served here by a real HTTP server on
127.0.0.1: fetched once for many requests, refetched on rotation (at most once a minute) and
every hour, waited for by the first requests, and kept when the provider fails later on."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from cad.errors import UnavailableError
from cad.settings import Settings
from service.auth.keys import KeySource
from service.auth.verify import KeyRing
from tests.helpers import asgi_client, eventually, holds, running_app

OLD_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NEW_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUER, AUDIENCE = "https://idp.example", "cad"


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def _token(key: rsa.RSAPrivateKey, kid: str) -> str:
    """A token of the provider's, each one different (so the token cache never answers)."""
    claims = {
        "sub": "PC1234", "roles": ["dispatcher"], "iss": ISSUER, "aud": AUDIENCE,
        "exp": int(time.time()) + 600, "jti": uuid.uuid4().hex,
    }  # fmt: skip
    return jwt.encode(claims, key, "RS256", headers={"kid": kid})


@dataclass
class Provider:
    """What the JWKS endpoint answers (a status and a body), once `gate` is open; it counts
    the requests."""

    url: str = ""
    status: int = 200
    body: bytes = b""
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    gate: threading.Event = field(default_factory=threading.Event)

    def serve(self, document: object, status: int = 200) -> None:
        """Answer `document` (bytes as they are, anything else as JSON) with `status`."""
        self.status = status
        self.body = document if isinstance(document, bytes) else json.dumps(document).encode()


@pytest.fixture
def provider() -> Iterator[Provider]:
    """A JWKS endpoint on a free loopback port, answering the old key until told otherwise."""
    state = Provider()
    state.serve({"keys": [_jwk(OLD_KEY, "old")]})
    state.gate.set()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.hits += 1
            state.gate.wait(10)
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows stderr
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.gate.set()
    server.shutdown()
    server.server_close()
    thread.join()


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _source(provider: Provider) -> tuple[KeySource, Clock]:
    """A key source trusting the provider alone, and the clock it reads."""
    clock = Clock()
    return KeySource(KeyRing(()), provider.url, 2.0, clock=clock), clock


def _kids(ring: KeyRing) -> set[str | None]:
    return {k.kid for k in ring.keys}


async def test_the_first_requests_wait_for_one_fetch_between_them(provider: Provider) -> None:
    provider.gate.clear()
    source, _ = _source(provider)
    asking = [asyncio.create_task(source.ring("old")) for _ in range(20)]
    await eventually(lambda: holds(provider.hits == 1))
    await asyncio.sleep(0.05)
    assert not any(t.done() for t in asking)
    provider.gate.set()
    rings = await asyncio.gather(*asking)
    assert [_kids(r) for r in rings] == [{"old"}] * 20
    assert provider.hits == 1


async def test_a_rotated_key_is_fetched_when_a_token_names_it_at_most_once_a_minute(
    provider: Provider,
) -> None:
    source, clock = _source(provider)
    assert _kids(await source.ring("old")) == {"old"}
    provider.serve({"keys": [_jwk(OLD_KEY, "old"), _jwk(NEW_KEY, "new")]})
    clock.now += 30
    assert _kids(await source.ring("new")) == {"old"}  # too soon after the last fetch
    clock.now += 31
    assert _kids(await source.ring("new")) == {"old", "new"}
    clock.now += 61
    assert _kids(await source.ring("unheard-of")) == {"old", "new"}
    clock.now += 30
    assert _kids(await source.ring("unheard-of")) == {"old", "new"}
    assert provider.hits == 3


async def test_a_withdrawn_key_goes_with_the_hourly_refetch_which_holds_up_no_request(
    provider: Provider,
) -> None:
    source, clock = _source(provider)
    await source.ring("old")
    provider.serve({"keys": [_jwk(NEW_KEY, "new")]})
    clock.now += 3599
    assert _kids(await source.ring("old")) == {"old"}
    assert provider.hits == 1
    clock.now += 2
    provider.gate.clear()
    # The token's key is known: it is answered at once, while the refetch waits on the provider.
    assert _kids(await source.ring("old")) == {"old"}
    await eventually(lambda: holds(provider.hits == 2))
    assert _kids(await source.ring("old")) == {"old"}
    provider.gate.set()

    async def withdrawn() -> bool:
        return _kids(await source.ring("old")) == {"new"}

    await eventually(withdrawn)
    assert provider.hits == 2


async def test_closing_stops_a_refetch_still_waiting_on_the_provider(provider: Provider) -> None:
    source, clock = _source(provider)
    await source.ring("old")
    clock.now += 3601
    provider.gate.clear()
    await source.ring("old")
    await eventually(lambda: holds(provider.hits == 2))
    async with asyncio.timeout(5):
        await source.aclose()  # returns with the provider still silent
    assert _kids(await source.ring("old")) == {"old"}


@pytest.mark.parametrize(
    ("status", "document"),
    [
        (500, {"error": "internal"}),
        (200, b"<html>maintenance</html>"),
        (200, {"keys": [{**_jwk(NEW_KEY, "enc"), "use": "enc"}]}),
        (200, [_jwk(NEW_KEY, "new")]),
    ],
    ids=["http-500", "not-json", "no-signing-key", "not-an-object"],
)
async def test_a_provider_failing_later_leaves_the_known_keys_working(
    provider: Provider, caplog: pytest.LogCaptureFixture, status: int, document: object
) -> None:
    source, clock = _source(provider)
    await source.ring("old")
    provider.serve(document, status)
    clock.now += 3601
    with caplog.at_level(logging.WARNING, logger="cad.auth"):
        assert _kids(await source.ring("old")) == {"old"}
        await eventually(lambda: holds(bool(caplog.records)))
    assert [r.getMessage() for r in caplog.records] == ["jwks_fetch_failed"]
    assert _kids(await source.ring("old")) == {"old"}
    assert provider.hits == 2


async def test_a_provider_down_at_start_is_retried_every_five_seconds(provider: Provider) -> None:
    source, clock = _source(provider)
    provider.serve({"error": "starting"}, 503)
    with pytest.raises(UnavailableError, match=r"JWKS\) cannot be had: .*retried every 5s"):
        await source.ring("old")
    provider.serve({"keys": [_jwk(OLD_KEY, "old")]})
    clock.now += 4
    with pytest.raises(UnavailableError):
        await source.ring("old")  # not asked again yet
    assert provider.hits == 1
    clock.now += 2
    assert _kids(await source.ring("old")) == {"old"}
    assert provider.hits == 2


@pytest.fixture
async def idp_client(settings: Settings, provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    """The app trusting only the provider's JWKS URL."""
    configured = settings.model_copy(
        update={
            "auth_dev_secret": None, "auth_jwks_url": provider.url, "environment": "production",
            "auth_issuer": ISSUER, "auth_audience": AUDIENCE,
        }
    )  # fmt: skip
    async with running_app(configured) as application, asgi_client(application) as http:
        yield http


async def test_the_api_admits_the_providers_tokens_fetching_its_keys_once(
    idp_client: httpx.AsyncClient, provider: Provider
) -> None:
    for _ in range(5):
        headers = {"Authorization": f"Bearer {_token(OLD_KEY, 'old')}"}
        response = await idp_client.get("/v1/units", headers=headers)
        assert response.status_code == 200, response.text
    forged = {"Authorization": f"Bearer {_token(NEW_KEY, 'old')}"}
    assert (await idp_client.get("/v1/units", headers=forged)).status_code == 401
    assert provider.hits == 1


async def test_the_api_answers_503_while_the_providers_keys_cannot_be_had(
    idp_client: httpx.AsyncClient, provider: Provider
) -> None:
    provider.serve({"error": "down"}, 500)
    headers = {"Authorization": f"Bearer {_token(OLD_KEY, 'old')}"}
    response = await idp_client.get("/v1/units", headers=headers)
    assert response.status_code == 503
    assert "JWKS" in response.json()["detail"]
