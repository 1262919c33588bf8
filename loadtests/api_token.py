"""The bearer token the locust users show the API: CAD_TOKEN, or one they sign themselves."""

from __future__ import annotations

import os
import random

from cad.tokens import Role, issue_dev_token

# Each locust process signs as its own subject, so the audit tells generators apart.
_SUBJECT = f"locust-{os.getpid()}-{random.getrandbits(24):06x}"


def api_token() -> str:
    """CAD_TOKEN, or a development token signed with CAD_AUTH_DEV_SECRET for this process."""
    given = os.environ.get("CAD_TOKEN")
    if given:
        return given
    secret = os.environ.get("CAD_AUTH_DEV_SECRET")
    if not secret:
        raise RuntimeError("set CAD_TOKEN or CAD_AUTH_DEV_SECRET: the API demands a bearer token")
    return issue_dev_token(
        secret, subject=_SUBJECT, roles=(Role.CALL_HANDLER, Role.DISPATCHER),
        ttl_s=12 * 3600, issuer=os.environ.get("CAD_AUTH_ISSUER"),
        audience=os.environ.get("CAD_AUTH_AUDIENCE"),
    )  # fmt: skip
