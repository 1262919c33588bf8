"""The demo's closing story, every figure read back from the service: its metrics, Redis, the
history store's audit trail and archived incidents, and its API (history search, KPI report,
alarms). Only the call-to-tasking latency is the MDTs' own (they saw the taskings arrive)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from cad.keys import AreaKeys, GlobalKeys
from cad.stats import percentile
from service.demo.history_counts import ShiftCounts
from service.demo.supervisor import BcuKpis
from transport.deadletter import DEADLETTER_STREAM
from transport.redis_types import AsyncRedis

_NOT_KNOWN = "n/a"


@dataclass(frozen=True)
class LiveCounts:
    """What Redis holds at the end, and the taskings as the MDTs received them."""

    taskings: int
    p50_ms: float
    p99_ms: float
    units: int
    units_committed: int
    pending: int
    dead_letters: int
    statuses: dict[str, str]  # by ref, for the incidents Redis still holds


async def collect_counts(
    redis: AsyncRedis, latencies_ms: list[float], *, taskings: int
) -> LiveCounts:
    """Count units, the queue and the incidents' statuses in Redis; the taskings and the
    latencies (of the gateway's calls) as the MDTs saw them."""
    glob = GlobalKeys()
    unit_statuses: list[str] = []
    pending = 0
    for area in sorted(await redis.smembers(glob.areas)):
        keys = AreaKeys(area)
        unit_statuses += list((await redis.hgetall(keys.unit_status)).values())
        pending += await redis.zcard(keys.pending)
    statuses: dict[str, str] = {}
    async for ref, area in redis.hscan_iter(glob.incident_area):
        status = await redis.hget(AreaKeys(area).incident(ref), "status")
        if status is not None:
            statuses[ref] = status
    return LiveCounts(
        taskings=taskings,
        p50_ms=percentile(latencies_ms, 50),
        p99_ms=percentile(latencies_ms, 99),
        units=len(unit_statuses),
        units_committed=sum(s != "available" for s in unit_statuses),
        pending=pending,
        dead_letters=await redis.xlen(DEADLETTER_STREAM),
        statuses=statuses,
    )


@dataclass(frozen=True)
class ShiftStory:
    """Everything the summary tells; None where the service could not say (no history store,
    or it did not answer)."""

    published: int
    calls: Counter[str] | None  # by channel, the service's metrics
    place_searches: int
    places_not_found: int
    live: LiveCounts
    shift: ShiftCounts | None
    archived_statuses: dict[str, str]  # by ref
    found_in_history: int | None
    alarms: Counter[str] | None
    kpis: list[BcuKpis] | None
    refusals: Counter[tuple[str, str, int]]

    def statuses(self) -> Counter[str]:
        """Every incident's status: AsyncRedis's, and the history store's for those it purged."""
        merged = {**self.archived_statuses, **self.live.statuses}
        return Counter(merged.values())


def _known(value: int | None) -> str:
    return _NOT_KNOWN if value is None else f"{value}"


def _listed(counted: dict[str, int] | Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counted.items())) or "none"


def story_rows(story: ShiftStory) -> list[tuple[str, str]]:
    """The summary's rows: name and figure."""
    shift, live, calls = story.shift, story.live, story.calls

    def of_shift(figure: Callable[[ShiftCounts], int]) -> str:
        return _NOT_KNOWN if shift is None else f"{figure(shift)}"

    return [
        ("call events published (MQTT gateway)", f"{story.published}"),
        ("calls taken by the MQTT gateway", _known(None if calls is None else calls["mqtt"])),
        ("calls taken by the call handler", _known(None if calls is None else calls["http"])),
        ("  place searches (not found)", f"{story.place_searches} ({story.places_not_found})"),
        ("incidents opened", of_shift(lambda s: s.incidents)),
        ("incidents graded by the call handler", of_shift(lambda s: s.graded)),
        ("duplicate calls linked by the call handler", of_shift(lambda s: s.linked_by_hand)),
        ("calls linked by the intake (auto-link)", of_shift(lambda s: s.linked - s.linked_by_hand)),
        ("incidents dispatched", of_shift(lambda s: s.dispatched)),
        ("taskings received by MDTs", f"{live.taskings}"),
        ("call-to-tasking latency p50 (gateway, I and S)", f"{live.p50_ms:.1f} ms"),
        ("call-to-tasking latency p99 (gateway, I and S)", f"{live.p99_ms:.1f} ms"),
        ("remarks logged", of_shift(lambda s: s.remarks)),
        ("units diverted", of_shift(lambda s: s.diversions)),
        ("units cleared", of_shift(lambda s: s.units_cleared)),
        ("incidents closed with a result code", of_shift(lambda s: s.closed)),
        ("archived to PostgreSQL", of_shift(lambda s: sum(s.archived.values()))),
        ("closed found in history search", _known(story.found_in_history)),
        ("alarms raised", _known(None if story.alarms is None else sum(story.alarms.values()))),
        ("incidents waiting in the queue", f"{live.pending}"),
        ("units busy (committed) / fleet", f"{live.units_committed} / {live.units}"),
        ("dead letters", f"{live.dead_letters}"),
        ("API refusals to the control room", f"{sum(story.refusals.values())}"),
    ]


def print_summary(story: ShiftStory) -> None:
    """Print the closing story: the table, then results, archive, refusals and KPIs."""
    rows = story_rows(story)
    width = max(len(name) for name, _ in rows)
    print("\nsummary")
    print("-" * (width + 16))
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")
    print("-" * (width + 16))
    if story.shift is not None:
        print(f"results by category: {_listed(story.shift.results)}")
        print(
            f"archived by status: {_listed(story.shift.archived)}; "
            f"{story.shift.audit_entries} audit entries"
        )
    if story.alarms is not None:
        print(f"alarms by kind: {_listed(story.alarms)}")
    print(f"incidents by status: {_listed(story.statuses())}")
    refused = Counter(
        {
            f"{role} {route} -> {status or 'no answer'}": n
            for (role, route, status), n in story.refusals.items()
        }
    )
    print(f"API refusals by role, route and status: {_listed(refused)}")
    _print_kpis(story.kpis)


def _print_kpis(kpis: list[BcuKpis] | None) -> None:
    if kpis is None:
        print("KPIs per BCU: n/a (no history store, or the report did not answer)")
        return
    print("\nKPIs per BCU (GET /v1/reports/kpis over the demo's window)")
    print(
        f"{'BCU':<5}{'incidents':>10}{'dispatched':>12}{'I: median call-to-dispatch':>28}"
        f"{'within target':>15}"
    )
    for line in kpis:
        median = "-" if line.immediate_median_s is None else f"{line.immediate_median_s:.1f} s"
        pct = line.within_target_pct
        within = "-" if pct is None else f"{pct:.0f}% of {line.target_decided}"
        print(f"{line.area:<5}{line.incidents:>10}{line.dispatched:>12}{median:>28}{within:>15}")
