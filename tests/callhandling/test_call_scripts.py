"""Recording calls against real Redis: create once, the creation fence, linking; each script
through its typed function."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from cad.events import CallEvent, CallSource, Location
from cad.incident_record import new_incident_fields
from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from callhandling.call_claims import claim_of
from callhandling.duplicates import Candidate, OpenIncident
from callhandling.incidents import Outcome, call_fields, fence_cells, next_ref
from callhandling.intake import CallIntake
from callhandling.lua import create_incident
from callhandling.lua.create_incident import Creation, queue_create_incident
from callhandling.lua.link_call import queue_link_call
from callhandling.lua.open_incident_facts import queue_open_incident_facts
from callhandling.surroundings import Surroundings, look_around
from dispatch.claims import ClaimOutcome, PlannedClaim, plan_nearest
from dispatch.lua import claim_plan
from dispatch.lua.claim_plan import queue_claim_plan
from dispatch.scripts import DispatchScripts
from tests.dispatch.mutual_aid_fixtures import dispatcher_for
from transport.scripts import Batch, Queued

AREA = "CW"
KEYS = AreaKeys(AREA)
NOW = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
RETAIN_S = 3600
SALT = "test-salt"


async def read_fence(redis: Redis, area: str, lon: float, lat: float) -> str:
    """The fence a call at this point reads before it searches for duplicates."""
    around = await look_around(
        redis, area=area, call_id="probe", lon=lon, lat=lat, radius_m=1,
        claim=claim_of(event("probe", lon=lon), area, SALT), retention_s=RETAIN_S,
    )  # fmt: skip
    return around.fence


def event(call_id: str, lon: float = -0.1281, cli: str | None = None) -> CallEvent:
    return CallEvent(
        call_id=call_id, received_at=NOW, source=CallSource.EMERGENCY_999,
        location=Location(lon=lon, lat=51.508, radius_m=40), incident_type="violence",
        grade="I", cli=cli, text="man with a bottle",
    )  # fmt: skip


def queue_creation(
    batch: Batch, e: CallEvent, ref: str, fence: str = "0", *, hashed_cli: str | None = None
) -> Queued[Creation]:
    """`create_incident` for the call, as the intake queues it."""
    incident = {**new_incident_fields(e, area=AREA), "cli_hashes": hashed_cli or ""}
    loc = e.location
    return queue_create_incident(
        batch, area=AREA, ref=ref, call_id=e.call_id, incident=incident,
        call=call_fields(e, hashed_cli, recorded_ms=NOW_MS), lon=loc.lon, lat=loc.lat,
        received_ms=int(incident["received_ms"]), fence=fence,
        fence_cells=fence_cells(loc.lon, loc.lat), now_ms=NOW_MS, actor="t",
        keep_call_s=RETAIN_S,
    )  # fmt: skip


async def _create(
    redis: Redis, e: CallEvent, fence: str = "0", *, hashed_cli: str | None = None
) -> Creation:
    batch = Batch()
    creation = queue_creation(batch, e, await next_ref(redis, NOW), fence, hashed_cli=hashed_cli)
    return creation.answer(await batch.run(redis))


async def test_a_call_opens_one_incident_and_a_replay_finds_it(redis: Redis) -> None:
    fence = await read_fence(redis, AREA, -0.1281, 51.508)
    first = await _create(redis, event("c1"), fence, hashed_cli="h")
    assert first.outcome is Outcome.CREATED
    assert first.ref == "CAD 0001/22NOV26"
    again = await _create(redis, event("c1"), "whatever", hashed_cli="h")
    assert again == Creation(Outcome.REPLAYED, first.ref, {})
    assert not await redis.exists(KEYS.incident("CAD 0002/22NOV26"))
    call = await redis.hgetall(KEYS.call("c1"))
    assert call["incident_ref"] == first.ref
    assert call["linked"] == "created"
    assert call["text"] == "man with a bottle"
    incident = await redis.hgetall(KEYS.incident(first.ref))
    assert incident["call_count"] == "1"
    assert incident["cli_hashes"] == "h"
    assert incident["audit_from"]
    assert await redis.zrange(KEYS.incident_calls(first.ref), 0, -1) == ["c1"]
    assert await redis.zscore(KEYS.open_incidents, first.ref) is not None


async def test_the_fence_sends_a_racing_call_back_to_look_for_duplicates(redis: Redis) -> None:
    fence = await read_fence(redis, AREA, -0.1281, 51.508)
    assert (await _create(redis, event("a"), fence)).outcome is Outcome.CREATED
    # A call that read the fence before "a" opened its incident must search again ...
    assert (await _create(redis, event("b", lon=-0.1282), fence)).outcome is Outcome.RETRY
    # ... and so must one in the neighbouring cell; one far away need not.
    assert (await _create(redis, event("c", lon=-0.1281 + 0.02), fence)).outcome is Outcome.RETRY
    far = await read_fence(redis, AREA, -0.2, 51.508)
    assert (await _create(redis, event("d", lon=-0.2), far)).outcome is Outcome.CREATED
    assert not await redis.exists(KEYS.call("b"))


async def test_linking_adds_the_call_once_and_only_to_an_open_incident(redis: Redis) -> None:
    fence = await read_fence(redis, AREA, -0.1281, 51.508)
    ref = (await _create(redis, event("x1"), fence, hashed_cli="h1")).ref
    candidate = Candidate(ref, 0.95, 12.0, ("same place",))

    async def link(call_id: str, cli_hash: str | None) -> Outcome:
        e = event(call_id)
        batch = Batch()
        linking = queue_link_call(
            batch, area=AREA, ref=candidate.ref, call_id=call_id,
            call=call_fields(e, cli_hash, recorded_ms=NOW_MS), score=candidate.score,
            reasons="; ".join(candidate.reasons), received_ms=NOW_MS, cli_hash=cli_hash,
            now_ms=NOW_MS, actor="t", keep_call_s=RETAIN_S,
        )  # fmt: skip
        linked = linking.answer(await batch.run(redis))
        if linked.outcome is Outcome.LINKED:
            # The incident comes back as the link left it: the call is not read back.
            assert linked.fields == await redis.hgetall(KEYS.incident(ref))
        return linked.outcome

    assert await link("x2", "h2") is Outcome.LINKED
    assert await link("x2", "h2") is Outcome.REPLAYED
    assert await link("x3", "h1") is Outcome.LINKED
    incident = await redis.hgetall(KEYS.incident(ref))
    assert incident["call_count"] == "3"
    assert incident["cli_hashes"] == "h1,h2"
    assert await redis.zcard(KEYS.incident_calls(ref)) == 3
    assert (await redis.hgetall(KEYS.call("x2")))["link_score"] == "0.95"
    assert (await redis.hgetall(KEYS.call("x2")))["text"] == "man with a bottle"
    assert 0 < await redis.ttl(KEYS.call("x2")) <= RETAIN_S  # caller data expires, linked too
    linked = [f for _, f in await redis.xrange(KEYS.audit) if f["type"] == "call_linked"]
    assert [f["call_id"] for f in linked] == ["x2", "x3"]
    assert linked[0]["reasons"] == "same place"
    await redis.hset(KEYS.incident(ref), "status", "closed")
    assert await link("x4", None) is Outcome.RETRY
    assert not await redis.exists(KEYS.call("x4"))


async def test_a_call_record_expires_with_its_caller_data(redis: Redis) -> None:
    await _create(redis, event("t1"), "0")
    assert 0 < await redis.ttl(KEYS.call("t1")) <= RETAIN_S


async def test_a_new_incident_comes_back_as_stored(redis: Redis) -> None:
    created = await _create(redis, event("f1"))
    assert created.fields == await redis.hgetall(KEYS.incident(created.ref))


async def test_the_scripts_are_loaded_again_after_redis_forgets_them(redis: Redis) -> None:
    await redis.script_flush()
    assert (await _create(redis, event("n1"), "0")).outcome is Outcome.CREATED


async def test_free_text_is_stored_as_given(redis: Redis) -> None:
    text = 'Zoë said "help" 💥\n\tthen \\ nothing \u2028'
    call = event("u1").model_copy(update={"text": text})
    assert (await _create(redis, call, "0")).outcome is Outcome.CREATED
    assert await redis.hget(KEYS.call("u1"), "text") == text


def _plan(ref: str) -> PlannedClaim:
    """The opening claim of an ungraded incident at the test's point (no units: it queues)."""
    return plan_nearest(
        area=AREA, ref=ref, lon=-0.1281, lat=51.508, grade=None, received_ms=NOW_MS,
        radii_m=(1000,), now_ms=1, actor="t",
    )  # fmt: skip


async def test_the_opening_claim_rides_on_the_creation(redis: Redis) -> None:
    # Loaded, as every script is once it has run: one Redis forgot is the next test's case.
    await redis.script_load(claim_plan.SCRIPT.source)
    ref = await next_ref(redis, NOW)
    batch = Batch()
    creation = queue_creation(batch, event("o1"), ref)
    claim = queue_claim_plan(batch, _plan(ref))
    answers = await batch.run(redis)
    assert creation.answer(answers).outcome is Outcome.CREATED
    opening = claim.answer(answers)
    assert opening.outcome is ClaimOutcome.QUEUED  # no units in this test
    assert opening.incident_fields == await redis.hgetall(KEYS.incident(ref))


async def test_an_opening_claim_redis_forgot_is_left_to_the_caller(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await redis.script_flush()
    await redis.script_load(create_incident.SCRIPT.source)
    ref = await next_ref(redis, NOW)
    batch = Batch()
    creation = queue_creation(batch, event("o2"), ref)
    claim = queue_claim_plan(batch, _plan(ref))
    answers = await batch.run(redis)
    assert creation.answer(answers).outcome is Outcome.CREATED
    assert not claim.ran(answers)
    assert await redis.hget(KEYS.incident(ref), "status") == "new"
    assert await redis.script_exists(claim_plan.SCRIPT.sha) == [True]


async def test_the_open_incidents_near_a_call_come_with_their_scoring_facts(
    redis: Redis,
) -> None:
    """`open_incident_facts.lua` directly: open ones answered, closed and vanished ones dropped."""
    await redis.hset(KEYS.incident("A"), mapping={
        "status": "dispatched", "lon": "-0.1", "lat": "51.5", "radius_m": "", "grade": "I",
        "received_ms": "1000", "incident_type": "violence", "cli_hashes": "h1,h2",
    })  # fmt: skip
    await redis.hset(KEYS.incident("B"), mapping={
        "status": "closed", "lon": "-0.2", "lat": "51.5", "received_ms": "2000",
    })  # fmt: skip
    await redis.hset(KEYS.incident("C"), mapping={
        "status": "new", "lon": "-0.3", "lat": "51.6", "radius_m": "250.0", "received_ms": "3000",
    })  # fmt: skip
    for ref, lon in (("A", -0.1), ("B", -0.2), ("C", -0.3), ("GONE", -0.4)):
        await redis.geoadd(KEYS.open_incidents, (lon, 51.5, ref))
    batch = Batch()
    facts = queue_open_incident_facts(batch, area=AREA, refs=["A", "B", "GONE", "C"])
    assert facts.answer(await batch.run(redis)) == (
        OpenIncident("A", -0.1, 51.5, None, 1000, "violence", frozenset({"h1", "h2"})),
        OpenIncident("C", -0.3, 51.6, 250.0, 3000, None, frozenset()),
    )
    assert set(await redis.zrange(KEYS.open_incidents, 0, -1)) == {"A", "C"}


async def test_a_call_that_opens_an_incident_regardless_reads_its_neighbours_as_it_opens(
    redis: Redis,
) -> None:
    """The reference comes with the look around; the neighbours' facts with the creation."""

    async def around(call_id: str) -> Surroundings:
        return await look_around(
            redis, area=AREA, call_id=call_id, lon=-0.1282, lat=51.508, radius_m=500,
            claim=claim_of(event(call_id, lon=-0.1282), AREA, SALT), retention_s=RETAIN_S,
            reserve_ref=NOW,
        )  # fmt: skip

    first = await _create(redis, event("c1"))
    near = await around("c2")
    assert (near.reserved_ref, near.near_refs, near.incidents) == (
        "CAD 0002/22NOV26", (first.ref,), (),
    )  # fmt: skip
    assert near.reserved_ref is not None
    batch = Batch()
    nearby = queue_open_incident_facts(batch, area=AREA, refs=near.near_refs)
    creation = queue_creation(batch, event("c2", lon=-0.1282), near.reserved_ref, near.fence)
    answers = await batch.run(redis)
    created = creation.answer(answers)
    assert (created.outcome, created.ref) == (Outcome.CREATED, "CAD 0002/22NOV26")
    assert [(i.ref, i.incident_type, i.radius_m) for i in nearby.answer(answers)] == [
        (first.ref, "violence", 40.0)
    ]
    assert created.fields["ref"] == created.ref
    # A replay finds its incident; the reference it took is left unused, a gap in the sequence.
    replayed = await around("c2")
    assert (replayed.known_ref, replayed.reserved_ref) == (created.ref, "CAD 0003/22NOV26")


async def test_copies_racing_past_the_look_open_one_incident_and_unlist_the_other_ref(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    """Two copies of one call look before either opens its incident: both take a reference and
    try; the second finds the call recorded, and the reference it listed names nothing, so it
    is taken out of the directory again."""
    intake = CallIntake(redis, dispatcher_for(redis, scripts), settings)
    copy = event("race").model_copy(update={"grade": None})
    first, second = await asyncio.gather(
        intake.accept(copy, actor="t", auto_link=False, area=AREA),
        intake.accept(copy, actor="t", auto_link=False, area=AREA),
    )
    assert {first.outcome, second.outcome} == {Outcome.CREATED, Outcome.REPLAYED}
    assert first.incident.ref == second.incident.ref
    taken = [int(await redis.get(key) or 0) for key in await redis.keys("cad:refseq:*")]
    assert sum(taken) == 2  # the look of each copy reserved a reference
    assert await redis.hgetall(GlobalKeys().incident_area) == {first.incident.ref: AREA}


@pytest.mark.topologies("single", "cluster")
async def test_a_replay_lists_its_incident_when_the_first_copy_left_it_unlisted(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    """On a cluster a call's directory entry and its incident are written on different primaries
    at once: a copy whose directory write failed leaves the incident unlisted, and the replay
    that follows lists it."""
    intake = CallIntake(redis, dispatcher_for(redis, scripts), settings)
    copy = event("relist")
    first = await intake.accept(copy, actor="t", auto_link=False, area=AREA)
    directory = GlobalKeys().incident_area
    await redis.hdel(directory, first.incident.ref)  # what the failed directory write left
    again = await intake.accept(copy, actor="t", auto_link=False, area=AREA)
    assert again.outcome == Outcome.REPLAYED
    assert await redis.hget(directory, first.incident.ref) == AREA
