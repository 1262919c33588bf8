"""POSTing an EIDO to a partner's HTTPS endpoint: one client per partner, trusting the CA file
it names (the system's CAs without one), each request bounded by the network timeout."""

from __future__ import annotations

import ssl

import httpx

from cad.errors import CadError
from interop.partners import Partner


class DeliveryError(CadError):
    """A partner did not take an EIDO (refused, unreachable, or the broker unavailable)."""


class PartnerEndpoints:
    """The HTTPS clients of the partners with an endpoint, made on first use."""

    def __init__(self, *, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._clients: dict[str, httpx.AsyncClient] = {}

    async def post(self, partner: Partner, body: bytes) -> None:
        """POST `body` (an EIDO) to the partner's endpoint; DeliveryError unless it answers 2xx."""
        if partner.endpoint is None:
            raise DeliveryError(f"https: partner {partner.id} has no endpoint any more")
        try:
            answer = await self._client(partner).post(
                partner.endpoint, content=body, headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"https: {type(exc).__name__}: {exc}") from exc
        if not answer.is_success:
            raise DeliveryError(f"https: {partner.endpoint} answered {answer.status_code}")

    async def aclose(self) -> None:
        """Close every client."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def _client(self, partner: Partner) -> httpx.AsyncClient:
        client = self._clients.get(partner.id)
        if client is None:
            verify: ssl.SSLContext | bool = True
            if partner.ca_file is not None:
                verify = ssl.create_default_context(cafile=str(partner.ca_file))
            client = httpx.AsyncClient(timeout=self._timeout_s, verify=verify)
            self._clients[partner.id] = client
        return client
