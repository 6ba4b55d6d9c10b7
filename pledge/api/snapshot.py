"""Every SLA's figures as of one moment, computed in the background, so that requests without ``at``
cost the same whatever Prometheus is doing and however many clients ask at once.

One refresh every ``interval`` seconds (default the rule evaluation interval: the recorded series
change no faster) asks the listing's two queries (pledge.status), the bulk detail figures
(pledge.api.bulk) and the customers each SLA recorded a group for (the scope check of
``find_sla``): a handful of queries whatever the number of SLAs. The answers are what the routes
compute at request time for the snapshot's moment, which they report (``at``, and the ``Age`` header).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from pydantic import BaseModel

from pledge.sla.identity import SLARef
from pledge.background import refresh_forever
from pledge.api.bulk import Found, bulk_figures
from pledge.api.figures import Span, span_at
from pledge.api.sources import SLASource
from pledge.clock import Clock
from pledge.prom import PrometheusClient
from pledge.rules import names
from pledge.sla import ServiceLevelAgreement
from pledge.sla.units import LONGEST_PERIOD
from pledge.status import Reading, read_status

VISIBLE_FOR = LONGEST_PERIOD  # a customer's group recorded that recently is visible
Visible = tuple[SLARef, str]  # an SLA and a customer it recorded a group for
MAX_RENDERED = 32 * 2**20  # bytes of rendered answers one snapshot keeps


def moment(clock: Clock, step: float) -> float:
    """Now, rounded down to ``step`` when answers are cached (identical questions to Prometheus)."""
    now = clock()
    return now - now % step if step else now


async def recorded_customers(client: PrometheusClient, at: float) -> frozenset[Visible]:
    """Every (SLA, customer) with a recorded group within VISIBLE_FOR: one index lookup."""
    found = await client.series([f'{names.REQUESTS_TILE}{{customer!=""}}'], at - VISIBLE_FOR, at)
    return frozenset((SLARef.of_labels(s), s["customer"]) for s in found)


class Rendered:
    """Answers rendered to JSON once per snapshot, by route, scope and parameters: under load most
    requests ask the same few questions. Starts over once it holds MAX_RENDERED bytes."""

    def __init__(self) -> None:
        self._answers: dict[Hashable, bytes] = {}
        self._size = 0

    def once(self, key: Hashable, build: Callable[[], BaseModel]) -> bytes:
        found = self._answers.get(key)
        if found is None:
            found = build().model_dump_json().encode()
            if self._size + len(found) > MAX_RENDERED:
                self._answers.clear()
                self._size = 0
            self._answers[key], self._size = found, self._size + len(found)
        return found


@dataclass(frozen=True)
class Snapshot:
    """The figures of ``slas`` (the source's list it was taken for) at ``at``, for any caller."""

    at: float
    slas: list[ServiceLevelAgreement]
    readings: list[Reading]
    spans: dict[SLARef, Span]
    details: Found
    visible: frozenset[Visible]
    taken: float  # monotonic seconds, for its expiry
    rendered: Rendered = field(default_factory=Rendered)


async def take(client: PrometheusClient, slas: list[ServiceLevelAgreement], at: float) -> Snapshot:
    spans = {s.ref: span_at(s, at) for s in slas}
    readings, details, visible = await asyncio.gather(
        read_status(client, slas, at), bulk_figures(client, slas, spans, at), recorded_customers(client, at))
    return Snapshot(at, slas, readings, spans, details, visible, time.monotonic())


class Snapshots:
    """The latest snapshot, refreshed every ``interval`` seconds; 0 turns them off (every answer
    computed at request time). A snapshot is served for two intervals, so one failed refresh is
    bridged; older, or taken for another list of SLAs, requests are computed live again (and
    answer 503 while Prometheus is down)."""

    def __init__(self, client: PrometheusClient, source: SLASource, interval: float, clock: Clock,
                 cache_seconds: float) -> None:
        self.client, self.source, self.interval = client, source, interval
        self.clock, self.cache_seconds = clock, cache_seconds
        self._latest: Snapshot | None = None

    def current(self) -> Snapshot | None:
        latest = self._latest
        if latest is None or latest.slas is not self.source.slas():
            return None
        return latest if time.monotonic() - latest.taken <= 2 * self.interval else None

    def age(self, snapshot: Snapshot) -> str:
        """The ``Age`` header: seconds since the snapshot's moment."""
        return str(max(0, int(self.clock() - snapshot.at)))

    async def refresh(self) -> None:
        slas = self.source.slas()
        self._latest = await take(self.client, slas, moment(self.clock, self.cache_seconds))

    async def run(self) -> None:
        """Refresh forever, one interval apart (none at 0); a failed refresh leaves the previous snapshot to expire."""
        if self.interval:
            await refresh_forever(self.refresh, self.interval, "snapshot")
