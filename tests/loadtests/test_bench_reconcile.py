"""The bench's end-of-run reconciliation against a real Redis: a call the service linked to
another call's incident is counted as linked (answered without a tasking of its own), a call
that opened its incident is not, and a call never recorded is lost."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from cad.events import CallEvent
from cad.settings import Settings
from callhandling.incidents import Outcome
from callhandling.intake import CallIntake
from dispatch.scripts import register_scripts
from loadtests.bench.calls import BenchCall
from loadtests.bench.reconcile import reconcile
from tests.dispatch.mutual_aid_fixtures import dispatcher_for


async def test_a_perfect_duplicate_is_counted_linked_and_an_unrecorded_call_lost(
    redis: Redis, settings: Settings
) -> None:
    since_ms = int(time.time() * 1000) - 1
    intake = CallIntake(
        redis,
        dispatcher_for(redis, register_scripts(redis)),
        settings.model_copy(update={"auto_link_score": 1.0}),
    )
    # Two calls of one type at one point within minutes score 1.0: the second is linked.
    first = BenchCall("recon-first", -0.1276, 51.5072, "asb", "S")
    twin = BenchCall("recon-twin", -0.1276, 51.5072, "asb", "S")
    never_sent = BenchCall("recon-never", -0.1276, 51.5072, "asb", "S")
    outcomes = [
        (await intake.accept(CallEvent.model_validate_json(c.payload()), actor="mqtt")).outcome
        for c in (first, twin)
    ]
    assert outcomes == [Outcome.CREATED, Outcome.LINKED]

    found = await reconcile(redis, [first, twin, never_sent], since_ms)

    assert (found.recorded, found.linked, found.lost) == (2, 1, ["recon-never"])
    assert found.as_dict()["linked"] == 1
