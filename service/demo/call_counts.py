"""Calls the service took in, by channel (the MQTT gateway, a call handler over HTTP), as its
own metrics count them (`GET /metrics`, `cad_calls_total`)."""

from __future__ import annotations

from collections import Counter

import httpx
from prometheus_client.parser import text_string_to_metric_families

_SAMPLE = "cad_calls_total"


def calls_by_channel(exposition: str) -> Counter[str]:
    """`cad_calls_total` summed over outcomes, by channel ("mqtt", "http")."""
    counted: Counter[str] = Counter()
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == _SAMPLE:
                counted[sample.labels["channel"]] += int(sample.value)
    return counted


async def service_calls(api: str) -> Counter[str] | None:
    """The service's call counts by channel; None if its metrics did not answer."""
    async with httpx.AsyncClient(base_url=api, timeout=10.0) as client:
        try:
            answer = await client.get("/metrics")
        except httpx.HTTPError:
            return None
    return calls_by_channel(answer.text) if answer.is_success else None
