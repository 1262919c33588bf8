"""Where the trusted keys come from: a JWKS file or URL, a PEM public key, the dev secret."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from cad.errors import UnavailableError
from cad.logs import log
from cad.settings import Settings
from cad.tokens import DEV_ALGORITHM
from cad.waits import cancel_and_wait
from service.auth.verify import ASYMMETRIC, KeyRing, VerificationKey

_CURVE_ALGORITHM = {"secp256r1": "ES256", "secp384r1": "ES384"}
# The provider's keys are refetched when this old; an unknown key id (the provider rotated its
# keys) refetches them sooner, but not more often than the minimum.
_JWKS_MAX_AGE_S = 3600.0
_JWKS_REFRESH_MIN_S = 60.0
# Until a first fetch succeeds no provider token can be checked: it is retried this often.
_JWKS_RETRY_S = 5.0

logger = logging.getLogger("cad.auth")


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
    """The keys to verify with: fixed at start, plus a JWKS URL's keys fetched and cached.

    A request whose key is not known yet waits for the fetch, one fetch for all such requests:
    the first ones after a start or a rotation are checked against the provider's keys, not
    refused for want of them. A request whose key is known never waits: when the cache is old
    it is refetched in the background. `clock` is a monotonic clock in seconds.
    """

    def __init__(
        self,
        fixed: KeyRing,
        jwks_url: str | None,
        timeout_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fixed = fixed
        self._client = (
            jwt.PyJWKClient(jwks_url, cache_jwk_set=False, timeout=max(1, int(timeout_s)))
            if jwks_url
            else None
        )
        self._clock = clock
        self._fetched: KeyRing = KeyRing(())
        self._tried_at = float("-inf")
        # Why the JWKS could not be had, while no key of it has ever been fetched.
        self._unreachable: str | None = None
        self._fetching = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None

    @property
    def configured(self) -> bool:
        """Whether any key at all may ever verify a token."""
        return bool(self._fixed.keys) or self._client is not None

    async def aclose(self) -> None:
        """Stop a background refetch still waiting on the provider (the app is stopping)."""
        await cancel_and_wait(self._background)

    async def ring(self, kid: str | None) -> KeyRing:
        """The trusted keys, refetching the JWKS when it is old or lacks this key id; raises
        UnavailableError while the JWKS was never had and no fixed key can serve."""
        if self._client is None:
            return self._fixed
        if self._due(kid):
            if self._fetched.candidates(kid):
                # An hourly refetch: an identity provider slow to answer must not hold up calls.
                if self._background is None or self._background.done():
                    self._background = asyncio.create_task(self._refresh(self._client, kid))
            else:
                await self._refresh(self._client, kid)
        if self._unreachable is not None and not self._fixed.candidates(kid):
            raise UnavailableError(self._unreachable, dependency="identity_provider")
        return KeyRing(self._fixed.keys + self._fetched.keys)

    def _due(self, kid: str | None) -> bool:
        age = self._clock() - self._tried_at
        if not self._fetched.keys:
            return age > _JWKS_RETRY_S
        unknown = kid is not None and not self._fetched.candidates(kid)
        return age > _JWKS_MAX_AGE_S or (unknown and age > _JWKS_REFRESH_MIN_S)

    async def _refresh(self, client: jwt.PyJWKClient, kid: str | None) -> None:
        async with self._fetching:
            if self._due(kid):  # not if the fetch this request queued behind was enough
                await self._fetch(client)

    async def _fetch(self, client: jwt.PyJWKClient) -> None:
        try:
            fetched = keys_from_jwks(await asyncio.to_thread(client.fetch_data))
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, ValueError, OSError) as exc:
            # ValueError: not JSON, or no signing key in it; OSError: cut off mid-answer. The
            # keys already known keep working.
            log(logger, logging.WARNING, "jwks_fetch_failed", url=client.uri, error=str(exc),
                keys_known=len(self._fetched.keys))  # fmt: skip
            if not self._fetched.keys:
                self._unreachable = (
                    f"the identity provider's keys (JWKS) cannot be had: {exc}; "
                    f"retried every {_JWKS_RETRY_S:g}s"
                )
        else:
            self._fetched, self._unreachable = fetched, None
            log(logger, logging.INFO, "jwks_fetched", url=client.uri,
                kids=",".join(k.kid or "" for k in fetched.keys))  # fmt: skip
        finally:
            self._tried_at = self._clock()


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
