"""What the live map keeps per process: the KPI cache every map client shares."""

from __future__ import annotations

from fastapi import FastAPI

from service.live.kpi_source import KpiSource
from transport.redis_types import AsyncRedis


def shared_kpis(app: FastAPI, redis: AsyncRedis) -> KpiSource:
    """The app's KPI source, made the first time a map client asks (and anew with a new client)."""
    source: KpiSource | None = getattr(app.state, "live_kpis", None)
    if source is None or source.redis is not redis:
        source = KpiSource(redis)
        app.state.live_kpis = source
    return source
