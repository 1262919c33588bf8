"""One simulated control-room role at work on the service's HTTP API: its own bearer token,
and every answer counted by role, route and status; a refusal is never raised, so a race lost
(409: a unit already taken, an incident changed) or a server error never stops the demo."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any
from urllib.parse import quote

import httpx

from cad.logs import log

_log = logging.getLogger("cad.demo")
# A demo request waits no longer than this: the service is on the same machine.
_TIMEOUT_S = 10.0
# What a request that never got an answer (refused connection, timeout) is counted as.
NO_ANSWER = 0


def incident_path(ref: str, action: str) -> str:
    """The path of an action on an incident. References hold spaces and slashes
    ("CAD 1234/22NOV26"): the routes take them as a path, so only the rest is quoted."""
    return f"/v1/incidents/{quote(ref, safe='/')}/{action}"


class ApiTally:
    """Every answer, by (role, route, status): shared by every role of a demo."""

    def __init__(self) -> None:
        self.by_route: Counter[tuple[str, str, int]] = Counter()

    def count(self, role: str, route: str, status: int) -> None:
        self.by_route[(role, route, status)] += 1

    def succeeded(self, route: str) -> int:
        """Requests to `route` ("POST /v1/calls") answered with a success."""
        return sum(n for (_, r, s), n in self.by_route.items() if r == route and 200 <= s < 300)

    def refusals(self) -> Counter[tuple[str, str, int]]:
        """Answers other than a success (NO_ANSWER: none came), by role, route and status."""
        return Counter({k: n for k, n in self.by_route.items() if not 200 <= k[2] < 300})


class ApiRole:
    """An HTTP client for one role: requests by route template (for the counts) and path."""

    def __init__(self, base_url: str, token: str, *, role: str, tally: ApiTally) -> None:
        self.role = role
        self.tally = tally
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=_TIMEOUT_S,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(self, route: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON answer of a GET, or None (counted) when it was not a success."""
        return await self._request("GET", route, path, params=params)

    async def post(self, route: str, path: str, body: dict[str, Any]) -> Any:
        """The JSON answer of a POST, or None (counted) when it was not a success."""
        return await self._request("POST", route, path, body=body)

    async def _request(
        self,
        method: str,
        route: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        name = f"{method} {route}"
        try:
            answer = await self._client.request(method, path, params=params, json=body)
        except httpx.HTTPError as exc:
            self.tally.count(self.role, name, NO_ANSWER)
            log(
                _log,
                logging.WARNING,
                "demo_request_failed",
                route=name,
                role=self.role,
                error=type(exc).__name__,
            )
            return None
        self.tally.count(self.role, name, answer.status_code)
        if answer.is_success:
            return answer.json()
        if answer.status_code >= 500:
            # The answer's body names the dependency (503) or nothing (500): never caller data.
            log(
                _log,
                logging.ERROR,
                "demo_server_error",
                route=name,
                role=self.role,
                status=answer.status_code,
                body=answer.text[:300],
            )
        return None
