"""The live map's page, its vendored assets and its read models over HTTP."""

from __future__ import annotations

import asyncio
import functools
import time
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.api.deps import RuntimeDep, UnreadableDep
from service.api.error_docs import AUTHENTICATED, UNAVAILABLE, documented
from service.api.example_docs import example_answer
from service.api.history_incidents import full_chronology
from service.auth.deps import Reading
from service.live import events, examples
from service.live.boundaries import boundaries_geojson
from service.live.chronology import chronology
from service.live.readmodel import snapshot
from service.live.state import shared_kpis
from service.live.streets import streets_geojson

router = APIRouter()
router.include_router(events.router)

# Only these files are served: a name from the URL never reaches the file system otherwise.
_ASSETS = {
    "leaflet.js": "text/javascript",
    "leaflet.css": "text/css",
    "main.js": "text/javascript",
    "state.js": "text/javascript",
    "layers.js": "text/javascript",
    "panels.js": "text/javascript",
    "units-layer.js": "text/javascript",
    "alarms.js": "text/javascript",
    "map.css": "text/css",
}
_CACHE = {"Cache-Control": "max-age=300"}


@functools.cache
def _static(name: str) -> bytes:
    return (resources.files("service.live") / "static" / name).read_bytes()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page() -> HTMLResponse:
    """The live operations map (works with no internet: every asset is served from here)."""
    return HTMLResponse(_static("index.html"), headers={"Cache-Control": "no-store"})


@router.get("/live/static/{name}", include_in_schema=False, responses={404: {}})
async def asset(name: str) -> Response:
    """One of the page's vendored scripts or stylesheets."""
    media_type = _ASSETS.get(name)
    if media_type is None:
        return Response(status_code=404)
    return Response(_static(name), media_type=media_type, headers=_CACHE)


@router.get(
    "/v1/live/boundaries",
    tags=["live map"],
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/geo+json": {
                    "schema": {"type": "object"},
                    "example": examples.BOUNDARIES,
                }
            }
        },
        **documented(*AUTHENTICATED),
    },
)
async def boundaries(_: Reading) -> Response:
    """The 33 boroughs and 12 BCUs as simplified GeoJSON (computed once per process)."""
    body = await asyncio.to_thread(boundaries_geojson)
    return Response(body, media_type="application/geo+json", headers=_CACHE)


@router.get(
    "/v1/live/streets",
    tags=["live map"],
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/geo+json": {"schema": {"type": "object"}, "example": examples.STREETS}
            }
        },
        **documented(*AUTHENTICATED),
    },
)
async def streets(_: Reading) -> Response:
    """The roads of the Westminster drive graph we hold, as two MultiLineStrings (`class` major
    and minor), each road once (computed once per process, about a second)."""
    body = await asyncio.to_thread(streets_geojson)
    return Response(body, media_type="application/geo+json", headers=_CACHE)


@router.get(
    "/v1/live/snapshot",
    tags=["live map"],
    responses={**example_answer(examples.SNAPSHOT), **documented(*AUTHENTICATED, UNAVAILABLE)},
)
async def get_snapshot(
    _: Reading, runtime: RuntimeDep, unreadable: UnreadableDep
) -> dict[str, Any]:
    """Units, open incidents and the queue now, with the cursor to stream events from."""
    return await snapshot(
        runtime.redis, stale_fix_s=runtime.settings.stale_fix_s, now_ms=int(time.time() * 1000),
        unreadable=unreadable,
    )  # fmt: skip


@router.get(
    "/v1/live/kpis",
    tags=["live map"],
    responses={**example_answer(examples.KPIS), **documented(*AUTHENTICATED, UNAVAILABLE)},
)
async def get_kpis(_: Reading, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Calls in the last hour, attendance within target by grade, and the median intervals."""
    return await shared_kpis(request.app, runtime.redis).current()


@router.get(
    "/v1/live/incidents/{ref:path}/chronology",
    tags=["live map"],
    responses={
        **example_answer(examples.CHRONOLOGY),
        **documented(*AUTHENTICATED, 404, 409, UNAVAILABLE),
    },
)
async def get_chronology(
    _: Reading, ref: str, runtime: RuntimeDep, unreadable: UnreadableDep
) -> dict[str, Any]:
    """An incident's audit entries in order, and the calls linked to it (those the archiver has
    trimmed from Redis come back from the history store)."""
    found = await chronology(runtime.redis, ref, unreadable)
    area = found["incident"]["area"]
    found["entries"] = await full_chronology(runtime, area, ref, found["entries"])
    return found
