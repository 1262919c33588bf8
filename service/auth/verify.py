"""Bearer token verification and role checks: pure functions, no I/O, no FastAPI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt

from cad.errors import AuthenticationError, ForbiddenError
from cad.tokens import Role

# Asymmetric algorithms a key may be used with; "none" and mixed-up HS/RS are never accepted.
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "PS256"})


@dataclass(frozen=True)
class VerificationKey:
    """A key that may verify tokens, the one algorithm it verifies, and its key id."""

    key: Any
    algorithm: str
    kid: str | None = None


@dataclass(frozen=True)
class KeyRing:
    """Every key currently trusted."""

    keys: tuple[VerificationKey, ...]

    def candidates(self, kid: str | None) -> list[VerificationKey]:
        """The keys that may have signed a token with this key id (all of them without one)."""
        if kid is None:
            return list(self.keys)
        return [k for k in self.keys if k.kid in (kid, None)]


@dataclass(frozen=True)
class TokenPolicy:
    """What a valid token must carry beyond a good signature."""

    issuer: str | None = None
    audience: str | None = None
    roles_claim: str = "roles"
    leeway_s: float = 30.0


@dataclass(frozen=True)
class Principal:
    """Who the token says the caller is, and until when (its `exp`, epoch seconds) if told."""

    subject: str
    roles: frozenset[Role]
    expires_s: float | None = field(default=None, compare=False)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None without one."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Authorization header must be 'Bearer <token>'")
    return token.strip()


def verify_token(token: str, ring: KeyRing, policy: TokenPolicy) -> Principal:
    """The principal of a token whose signature, expiry, issuer and audience all check out."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise AuthenticationError(f"malformed token: {exc}") from exc
    kid = header.get("kid")
    keys = [k for k in ring.candidates(kid) if k.algorithm == header.get("alg")]
    if not keys:
        raise AuthenticationError(
            f"no trusted key for this token (alg {header.get('alg')!r}, kid {kid!r})"
        )
    error: AuthenticationError | None = None
    for key in keys:
        try:
            return _principal(_decode(token, key, policy), policy.roles_claim)
        except jwt.InvalidSignatureError:
            error = AuthenticationError("bad signature")
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("token expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthenticationError("token not yet valid") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationError(f"wrong issuer (expected {policy.issuer!r})") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationError(f"wrong audience (expected {policy.audience!r})") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise AuthenticationError(f"token lacks the {exc.claim!r} claim") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError(f"invalid token: {exc}") from exc
    assert error is not None
    raise error


def _decode(token: str, key: VerificationKey, policy: TokenPolicy) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=[key.algorithm],
        issuer=policy.issuer,
        audience=policy.audience,
        leeway=policy.leeway_s,
        options={"require": ["exp", "sub"], "verify_aud": policy.audience is not None},
    )
    return claims


def _principal(claims: dict[str, Any], roles_claim: str) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 128:
        raise AuthenticationError("the 'sub' claim must be a non-empty string")
    expires = claims.get("exp")
    return Principal(
        subject=subject,
        roles=parse_roles(claims.get(roles_claim)),
        expires_s=float(expires) if isinstance(expires, int | float) else None,
    )


def parse_roles(value: object) -> frozenset[Role]:
    """The known roles in a claim: a list of names or one space-separated string."""
    names: Iterable[object]
    if isinstance(value, str):
        names = value.split()
    elif isinstance(value, list):
        names = value
    else:
        return frozenset()
    known = {r.value for r in Role}
    return frozenset(Role(n) for n in names if isinstance(n, str) and n in known)


def authorize(principal: Principal, allowed: tuple[Role, ...]) -> Role:
    """The first allowed role the principal holds, the role it acts in; ForbiddenError if none."""
    for role in allowed:
        if role in principal.roles:
            return role
    wanted = " or ".join(r.value for r in allowed)
    held = ", ".join(sorted(r.value for r in principal.roles)) or "none"
    raise ForbiddenError(f"missing role: needs {wanted} (token has {held})")


def actor(principal: Principal, role: Role) -> str:
    """How the audit names a person acting in a role: `user:PC1234(dispatcher)`."""
    return f"user:{principal.subject}({role.value})"
