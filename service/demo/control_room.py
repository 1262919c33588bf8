"""The demo's control room: a call handler, a dispatcher and a supervisor, each on the service's
HTTP API with a development token of its own role, and the tasks the first two work in."""

from __future__ import annotations

import asyncio

from cad.settings import Settings
from cad.tokens import Role, dev_token_for
from geo.place_loading import load_places
from service.demo.api_role import ApiRole, ApiTally
from service.demo.call_handler import CallHandler
from service.demo.dispatcher import Dispatcher
from service.demo.supervisor import Supervisor

# Long enough for a long demo, still a development token.
_TOKEN_TTL_S = 12 * 3600
# Callers name landmarks and neighbourhoods (wards): places all over London, every BCU.
_CALLERS_NAME = ("landmark", "ward")


def place_names() -> list[str]:
    """The names callers give: the built-in place index's landmarks and wards."""
    return sorted({p.name for p in load_places().places if p.kind in _CALLERS_NAME})


class ControlRoom:
    """Three operators on the API; `start` sets the handler and dispatcher to work."""

    def __init__(self, roles: dict[Role, ApiRole], *, strong_score: float, seed: int) -> None:
        self._roles = roles
        self.handler = CallHandler(
            roles[Role.CALL_HANDLER], place_names(), strong_score=strong_score, seed=seed
        )
        self.dispatcher = Dispatcher(roles[Role.DISPATCHER], seed=seed)
        self.supervisor = Supervisor(roles[Role.SUPERVISOR])
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def staffed(cls, settings: Settings, api: str, *, seed: int) -> ControlRoom | None:
        """A control room signed in with development tokens; None without a secret to sign
        them (servers configured from outside, with their own identity provider)."""
        if not settings.auth_dev_secret:
            return None
        tally = ApiTally()
        roles = {
            role: ApiRole(
                api,
                dev_token_for(
                    settings,
                    subject=f"demo-{role.value.replace('_', '-')}",
                    ttl_s=_TOKEN_TTL_S,
                    roles=(role,),
                ),
                role=role.value,
                tally=tally,
            )
            for role in (Role.CALL_HANDLER, Role.DISPATCHER, Role.SUPERVISOR)
        }
        return cls(roles, strong_score=settings.auto_link_score, seed=seed)

    @property
    def tally(self) -> ApiTally:
        """Every answer the room had, by role, route and status."""
        return self._roles[Role.SUPERVISOR].tally

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.handler.run(), name="demo-call-handler"),
            asyncio.create_task(self.handler.grade_rounds(), name="demo-grading"),
            asyncio.create_task(self.dispatcher.run(), name="demo-dispatcher"),
        ]

    async def stop(self) -> None:
        """Stop work; the dispatcher gives the results still awaited."""
        for task in self._tasks:
            task.cancel()
        ended = await asyncio.gather(*self._tasks, return_exceptions=True)
        for task, outcome in zip(self._tasks, ended, strict=True):
            # A simulated operator's mistake ends its own work, never the demo: said, not raised.
            if isinstance(outcome, Exception):
                print(f"{task.get_name()} stopped early: {type(outcome).__name__}: {outcome}")
        self._tasks = []
        await self.dispatcher.close_waiting()

    async def aclose(self) -> None:
        for role in self._roles.values():
            await role.aclose()
