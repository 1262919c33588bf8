"""The console's page and its own scripts and stylesheet (it shares Leaflet and the live map's
modules at `/live/static/`); everything it shows and does goes through the public API."""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter()

_STATIC = resources.files("service.console") / "static"
_TYPES = {".js": "text/javascript", ".css": "text/css"}
# Only the files packaged beside this module are served: a name from the URL never reaches the
# file system otherwise.
_ASSETS = {
    entry.name: _TYPES[suffix]
    for entry in _STATIC.iterdir()
    if (suffix := entry.name[entry.name.rfind(".") :]) in _TYPES
}
_CACHE = {"Cache-Control": "max-age=300"}


@functools.cache
def _static(name: str) -> bytes:
    return (_STATIC / name).read_bytes()


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
async def page() -> HTMLResponse:
    """The operator console (works with no internet: every asset is served from here)."""
    return HTMLResponse(_static("console.html"), headers={"Cache-Control": "no-store"})


@router.get("/console/static/{name}", include_in_schema=False, responses={404: {}})
async def asset(name: str) -> Response:
    """One of the console's ES modules or its stylesheet."""
    media_type = _ASSETS.get(name)
    if media_type is None:
        return Response(status_code=404)
    return Response(_static(name), media_type=media_type, headers=_CACHE)
