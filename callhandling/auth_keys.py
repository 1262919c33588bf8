"""Where the trusted keys come from: a JWKS file or URL, a PEM public key, the dev secret."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from cad.errors import AuthenticationError
from cad.settings import Settings
from cad.tokens import DEV_ALGORITHM
from callhandling.auth import ASYMMETRIC, KeyRing, VerificationKey

_CURVE_ALGORITHM = {"secp256r1": "ES256", "secp384r1": "ES384"}
# An unknown key id refetches the JWKS (the provider rotated its keys), but not more often.
_JWKS_REFRESH_MIN_S = 60.0
_JWKS_MAX_AGE_S = 3600.0


def keys_from_pem(pem: bytes) -> KeyRing:
    """The ring holding one PEM public key (RSA: RS256; EC P-256: ES256; P-384: ES384)."""
    key = load_pem_public_key(pem)
    if isinstance(key, rsa.RSAPublicKey):
        return KeyRing((VerificationKey(key, "RS256"),))
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _CURVE_ALGORITHM:
        return KeyRing((VerificationKey(key, _CURVE_ALGORITHM[key.curve.name]),))
    raise ValueError("auth_public_key_file: only RSA and EC P-256/P-384 keys are supported")


def keys_from_jwks(document: dict[str, Any]) -> KeyRing:
    """The ring of a JWKS document's signing keys (symmetric keys are never trusted from it)."""
    found = jwt.PyJWKSet.from_dict(document)
    keys = tuple(
        VerificationKey(k.key, k.algorithm_name, k.key_id)
        for k in found.keys
        if k.algorithm_name in ASYMMETRIC and k.public_key_use in (None, "sig")
    )
    if not keys:
        raise ValueError("the JWKS holds no usable signing key")
    return KeyRing(keys)


def dev_keys(secret: str) -> KeyRing:
    """The ring holding the HS256 development secret."""
    return KeyRing((VerificationKey(secret.encode(), DEV_ALGORITHM),))


class KeySource:
    """The keys to verify with: fixed at start, plus a JWKS URL's keys fetched and cached."""

    def __init__(self, fixed: KeyRing, jwks_url: str | None, timeout_s: float) -> None:
        self._fixed = fixed
        self._client = (
            jwt.PyJWKClient(jwks_url, cache_jwk_set=False, timeout=max(1, int(timeout_s)))
            if jwks_url
            else None
        )
        self._fetched: KeyRing = KeyRing(())
        self._fetched_at = float("-inf")

    @property
    def configured(self) -> bool:
        """Whether any key at all may ever verify a token."""
        return bool(self._fixed.keys) or self._client is not None

    async def ring(self, kid: str | None) -> KeyRing:
        """The trusted keys, refetching the JWKS when it is old or lacks this key id."""
        if self._client is None:
            return self._fixed
        age = time.monotonic() - self._fetched_at
        unknown = kid is not None and not any(k.kid == kid for k in self._fetched.keys)
        if age > _JWKS_MAX_AGE_S or (unknown and age > _JWKS_REFRESH_MIN_S):
            await self._refresh()
        return KeyRing(self._fixed.keys + self._fetched.keys)

    async def _refresh(self) -> None:
        assert self._client is not None
        self._fetched_at = time.monotonic()
        try:
            document = await asyncio.to_thread(self._client.fetch_data)
        except jwt.PyJWKClientError as exc:
            if not self._fetched.keys:
                raise AuthenticationError(
                    f"the identity provider's JWKS is unreachable: {exc}"
                ) from exc
            return  # keep verifying with the keys already known
        self._fetched = keys_from_jwks(document)


def key_source(settings: Settings) -> KeySource:
    """The key source the settings describe (files are read once, here)."""
    keys: list[VerificationKey] = []
    if settings.auth_jwks_file is not None:
        keys += keys_from_jwks(json.loads(settings.auth_jwks_file.read_text())).keys
    if settings.auth_public_key_file is not None:
        keys += keys_from_pem(settings.auth_public_key_file.read_bytes()).keys
    if settings.auth_dev_secret:
        keys += dev_keys(settings.auth_dev_secret).keys
    return KeySource(KeyRing(tuple(keys)), settings.auth_jwks_url, settings.network_timeout_s)
