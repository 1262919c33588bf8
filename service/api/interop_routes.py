"""An incident as a NENA EIDO document (docs/interop.md): what a partner agency is sent."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from interop.eido.example import example_eido
from service.api.deps import IncidentDep, RuntimeDep
from service.api.error_docs import AUTHENTICATED, UNAVAILABLE, documented
from service.api.example_docs import example_answer
from service.auth.deps import Reading

router = APIRouter(prefix="/v1/incidents", tags=["interop"])


@router.get(
    "/{ref:path}/eido",
    responses={**example_answer(example_eido()), **documented(*AUTHENTICATED, 404, UNAVAILABLE)},
)
async def get_eido(_: Reading, incident: IncidentDep, runtime: RuntimeDep) -> dict[str, Any]:
    """The incident as an EIDO (NENA-STA-021.1) JSON document, valid against NENA's schema
    (the project's mended copy): its calls (no caller data), units, remarks, result, and the
    agency it was handed to or came from."""
    return await runtime.eidos.eido(incident)
