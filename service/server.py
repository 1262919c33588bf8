"""`cad serve`: the HTTP API and the MQTT consumers in one process, under uvicorn."""

from __future__ import annotations

import uvicorn

from cad.settings import Settings


def server_for(settings: Settings) -> uvicorn.Server:
    """A uvicorn server for the app; uvloop and httptools keep TCP_NODELAY and the latency low."""
    from service.app import create_app  # the entry point composes the packages

    config = uvicorn.Config(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return uvicorn.Server(config)
