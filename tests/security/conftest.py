"""The app against the session servers: a client that holds no token of its own, and the app
trusting an identity provider's key."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.settings import Settings
from tests.helpers import asgi_client, running_app


@pytest.fixture
async def anon(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client sending no Authorization header unless a test gives one."""
    async with asgi_client(app) as http:
        yield http


@pytest.fixture
async def rsa_app_client(
    settings: Settings, redis: Redis, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, rsa.RSAPrivateKey]]:
    """The app trusting only an identity provider's JWKS file (one RS256 key, kid "idp-1"), with
    no leeway on expiry, so that a token's `exp` is the moment it stops working."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": "idp-1", "alg": "RS256", "use": "sig"}]}))
    configured = settings.model_copy(
        update={
            "auth_dev_secret": None, "auth_jwks_file": path, "environment": "production",
            "auth_issuer": "https://idp.example", "auth_audience": "cad", "auth_leeway_s": 0.0,
        }
    )  # fmt: skip
    async with running_app(configured) as application, asgi_client(application) as http:
        yield http, key
