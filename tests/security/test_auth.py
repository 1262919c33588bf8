"""Token verification and role checks as pure functions, over many kinds of token."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from cad.errors import AuthenticationError, ForbiddenError
from cad.settings import get_settings
from cad.tokens import Role, issue_dev_token
from service.auth.keys import dev_keys, keys_from_jwks, keys_from_pem
from service.auth.verify import (
    KeyRing,
    Principal,
    TokenPolicy,
    actor,
    authorize,
    bearer_token,
    parse_roles,
    verify_token,
)

SECRET = "a-development-secret-of-more-than-32-characters"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
POLICY = TokenPolicy(leeway_s=0)


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _jwks(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    else:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "use": "sig"}]}


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    # The parametrised tokens are made when tests are collected: valid for the whole session.
    claims: dict[str, Any] = {"sub": "PC1234", "roles": ["dispatcher"], "exp": now + 3600}
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_dev_token_verifies_with_the_dev_secret() -> None:
    token = issue_dev_token(SECRET, subject="PC1234", roles=[Role.DISPATCHER, Role.SUPERVISOR])
    principal = verify_token(token, dev_keys(SECRET), POLICY)
    assert principal == Principal("PC1234", frozenset({Role.DISPATCHER, Role.SUPERVISOR}))


def test_an_rs256_token_verifies_with_the_pem_public_key() -> None:
    token = jwt.encode(_claims(), RSA_KEY, algorithm="RS256")
    assert verify_token(token, keys_from_pem(_pem(RSA_KEY)), POLICY).subject == "PC1234"


def test_an_es256_token_verifies_with_the_jwks_key_of_its_kid() -> None:
    ring = KeyRing(
        keys_from_jwks(_jwks(RSA_KEY, "old")).keys + keys_from_jwks(_jwks(EC_KEY, "new")).keys
    )
    token = jwt.encode(_claims(), EC_KEY, algorithm="ES256", headers={"kid": "new"})
    assert verify_token(token, ring, POLICY).roles == frozenset({Role.DISPATCHER})


OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("token", "ring", "policy", "why"),
    [
        (jwt.encode(_claims(exp=int(time.time()) - 120), SECRET, "HS256"), "dev", POLICY,
         "token expired"),
        (jwt.encode(_claims(), "another-secret-that-is-also-32-characters!", "HS256"), "dev",
         POLICY, "bad signature"),
        (jwt.encode(_claims(), OTHER_RSA, "RS256"), "rsa", POLICY, "bad signature"),
        (jwt.encode(_claims(exp=None), SECRET, "HS256"), "dev", POLICY, "'exp'"),
        (jwt.encode(_claims(sub=None), SECRET, "HS256"), "dev", POLICY, "'sub'"),
        (jwt.encode(_claims(sub=""), SECRET, "HS256"), "dev", POLICY, "sub"),
        # A day ahead, not minutes: made at collection, it must stay ahead for the whole session.
        (jwt.encode(_claims(nbf=int(time.time()) + 86_400), SECRET, "HS256"), "dev", POLICY,
         "not yet valid"),
        (jwt.encode(_claims(iss="someone-else"), SECRET, "HS256"), "dev",
         TokenPolicy(issuer="https://idp.met.police.uk"), "wrong issuer"),
        (jwt.encode(_claims(aud="another-app"), SECRET, "HS256"), "dev",
         TokenPolicy(audience="cad"), "wrong audience"),
        (jwt.encode(_claims(), SECRET, "HS256"), "dev", TokenPolicy(audience="cad"), "'aud'"),
        # An HS256 token "signed" with the public key must not pass where only RS256 is trusted.
        (jwt.encode(_claims(), SECRET, "HS256"), "rsa", POLICY, "no trusted key"),
        (jwt.encode(_claims(), "", "none"), "dev", POLICY, "no trusted key"),
        (jwt.encode(_claims(), RSA_KEY, "RS256", headers={"kid": "unknown"}), "jwks", POLICY,
         "no trusted key"),
        ("not.a.token", "dev", POLICY, "malformed"),
        ("", "dev", POLICY, "malformed"),
    ],
)  # fmt: skip
def test_a_bad_token_is_refused_saying_why(
    token: str, ring: str, policy: TokenPolicy, why: str
) -> None:
    rings = {
        "dev": dev_keys(SECRET),
        "rsa": keys_from_pem(_pem(RSA_KEY)),
        "jwks": keys_from_jwks(_jwks(RSA_KEY, "k1")),
    }
    with pytest.raises(AuthenticationError, match=why):
        verify_token(token, rings[ring], policy)


def test_issuer_and_audience_pass_when_they_match() -> None:
    policy = TokenPolicy(issuer="https://idp", audience="cad")
    token = jwt.encode(_claims(iss="https://idp", aud="cad"), SECRET, "HS256")
    assert verify_token(token, dev_keys(SECRET), policy).subject == "PC1234"


@pytest.mark.parametrize(
    ("claim", "roles"),
    [
        (["dispatcher"], {Role.DISPATCHER}),
        (["call_handler", "supervisor"], {Role.CALL_HANDLER, Role.SUPERVISOR}),
        ("admin dispatcher", {Role.ADMIN, Role.DISPATCHER}),
        (["root", "dispatcher", 7], {Role.DISPATCHER}),
        ([], set()),
        (None, set()),
        ({"dispatcher": True}, set()),
        ("", set()),
    ],
)
def test_roles_come_from_the_claim_and_unknown_ones_are_ignored(
    claim: object, roles: set[Role]
) -> None:
    assert parse_roles(claim) == frozenset(roles)


@pytest.mark.parametrize(
    ("held", "allowed", "acting"),
    [
        ({Role.DISPATCHER}, (Role.DISPATCHER, Role.SUPERVISOR), Role.DISPATCHER),
        ({Role.SUPERVISOR}, (Role.DISPATCHER, Role.SUPERVISOR), Role.SUPERVISOR),
        ({Role.SUPERVISOR, Role.DISPATCHER}, (Role.DISPATCHER, Role.SUPERVISOR), Role.DISPATCHER),
        ({Role.ADMIN}, (Role.ADMIN, Role.SUPERVISOR), Role.ADMIN),
        ({Role.CALL_HANDLER}, tuple(Role), Role.CALL_HANDLER),
    ],
)
def test_the_acting_role_is_the_first_allowed_one_held(
    held: set[Role], allowed: tuple[Role, ...], acting: Role
) -> None:
    assert authorize(Principal("PC1", frozenset(held)), allowed) == acting


@pytest.mark.parametrize(
    ("held", "allowed"),
    [
        ({Role.CALL_HANDLER}, (Role.DISPATCHER, Role.SUPERVISOR)),
        ({Role.DISPATCHER}, (Role.CALL_HANDLER, Role.SUPERVISOR)),
        ({Role.DISPATCHER, Role.CALL_HANDLER}, (Role.ADMIN, Role.SUPERVISOR)),
        (set(), tuple(Role)),
    ],
)
def test_a_missing_role_is_forbidden_naming_it(held: set[Role], allowed: tuple[Role, ...]) -> None:
    with pytest.raises(ForbiddenError, match=f"missing role: needs {allowed[0].value}"):
        authorize(Principal("PC1", frozenset(held)), allowed)


def test_the_actor_is_the_subject_with_the_role() -> None:
    assert actor(Principal("PC1234", frozenset()), Role.DISPATCHER) == "user:PC1234(dispatcher)"


@pytest.mark.parametrize(
    ("header", "token"),
    [(None, None), ("", None), ("Bearer abc", "abc"), ("bearer  abc ", "abc")],
)
def test_the_bearer_token_is_taken_from_the_header(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer   ", "abc"])
def test_another_scheme_is_refused(header: str) -> None:
    with pytest.raises(AuthenticationError, match="Bearer"):
        bearer_token(header)


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_the_dev_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="refused outside"):
        get_settings(environment=environment, auth_dev_secret=SECRET)


def test_a_short_dev_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="32 characters"):
        get_settings(environment="development", auth_dev_secret="short")


def test_a_jwks_without_signing_keys_is_refused() -> None:
    jwks = _jwks(RSA_KEY, "enc")
    jwks["keys"][0]["use"] = "enc"
    with pytest.raises(ValueError, match="no usable signing key"):
        keys_from_jwks(jwks)
