"""The verified-token cache: a hit only for the same token, never past its expiry or the trust
limit, and bounded (pure); and through the app, a cached token still expires and a cached
token's altered copy is still refused."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from cad.tokens import Role
from service.auth.token_cache import VerifiedTokens
from service.auth.verify import Principal

PC1 = Principal("PC1", frozenset({Role.DISPATCHER}), expires_s=1_000.0)


def test_a_verified_token_is_a_hit_until_it_expires() -> None:
    cache = VerifiedTokens(max_trust_s=600.0)
    cache.put("token-a", PC1, now_s=900.0)
    assert cache.get("token-a", 999.9) == PC1
    assert cache.get("token-b", 999.9) is None
    assert cache.get("token-a", 1_000.0) is None
    # Dropped once expired: a later look finds nothing either.
    assert cache.get("token-a", 950.0) is None


def test_a_long_lived_token_is_trusted_only_for_the_trust_limit() -> None:
    cache = VerifiedTokens(max_trust_s=60.0)
    cache.put("token-a", PC1, now_s=100.0)
    assert cache.get("token-a", 159.0) == PC1
    assert cache.get("token-a", 160.0) is None


def test_a_token_without_an_expiry_is_never_kept() -> None:
    cache = VerifiedTokens()
    cache.put("token-a", Principal("PC1", frozenset()), now_s=0.0)
    assert cache.get("token-a", 0.0) is None


def test_the_least_recently_used_token_goes_first_when_full() -> None:
    cache = VerifiedTokens(max_tokens=2)
    for token in ("a", "b"):
        cache.put(token, PC1, now_s=0.0)
    assert cache.get("a", 1.0) == PC1  # "b" is now the least recently used
    cache.put("c", PC1, now_s=1.0)
    assert cache.get("b", 1.0) is None
    assert cache.get("a", 1.0) == PC1
    assert cache.get("c", 1.0) == PC1


async def test_a_cached_token_still_expires_and_an_altered_copy_is_refused(
    rsa_app_client: tuple[httpx.AsyncClient, rsa.RSAPrivateKey],
) -> None:
    client, key = rsa_app_client
    exp = int(time.time()) + 2
    claims = {"sub": "PC42", "roles": ["dispatcher"], "exp": exp, "iss": "https://idp.example",
              "aud": "cad"}  # fmt: skip
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "idp-1"})
    assert (await client.get("/v1/units", headers=_bearer(token))).status_code == 200
    # The same claims, the signature's last characters changed: another string, checked afresh.
    altered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    refused = await client.get("/v1/units", headers=_bearer(altered))
    assert refused.status_code == 401
    assert (await client.get("/v1/units", headers=_bearer(token))).status_code == 200
    await asyncio.sleep(max(0.0, exp - time.time()) + 0.1)
    expired = await client.get("/v1/units", headers=_bearer(token))
    assert expired.status_code == 401
    assert "token expired" in expired.json()["detail"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
