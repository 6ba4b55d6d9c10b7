"""The SLAs as their current period judges them (issue 27, item 2): the terms in force now.

A calendar SLA changed during its current period keeps the terms the period started with until the
boundary when the change waits (``changePolicy: nextPeriod``), or has the time-weighted target of the
split period (``immediate``): the list, the detail, the snapshot, the predictions and the status the
API serves read these, as the reports do for any period (pledge.slo.terms). Only SLAs that may have
a revision accepted during their current period have their history read (git says which files
changed; a Kubernetes source's each), in a thread, once per definition and period; the others, and
every SLA before the first pass, are served as written. Past the earliest boundary of a judged SLA
its definition as written is in force, so the list falls back to it until the next pass.
"""

from __future__ import annotations

import asyncio
import logging
import math

from pledge.api.sources import SLASource, changed, history_of
from pledge.background import refresh_forever
from pledge.clock import Clock
from pledge.git_history import GitError
from pledge.sla import ServiceLevelAgreement
from pledge.sla.identity import SLARef
from pledge.slo.periods import current_period
from pledge.slo.terms import terms_for

log = logging.getLogger(__name__)
CHECK_SECONDS = 5.0  # how often the source's list and the boundaries are looked at (cheap: no I/O)


class InForce:
    """An SLA source whose ``slas()`` are the source's with the terms in force in their current period."""

    def __init__(self, source: SLASource, clock: Clock, check_seconds: float = CHECK_SECONDS) -> None:
        self.source, self.clock, self.check_seconds = source, clock, check_seconds
        self._basis: list[ServiceLevelAgreement] | None = None
        self._judged: list[ServiceLevelAgreement] = []
        self._until = -math.inf
        self._task: asyncio.Task[None] | None = None

    def slas(self) -> list[ServiceLevelAgreement]:
        basis = self.source.slas()
        return self._judged if basis is self._basis and self.clock() < self._until else basis

    async def start(self) -> None:
        """Judge once before serving, then keep judging in the background."""
        await self.refresh()
        self._task = asyncio.create_task(refresh_forever(self._maybe_refresh, self.check_seconds, "terms in force"))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _maybe_refresh(self) -> None:
        if self.source.slas() is not self._basis or self.clock() >= self._until:
            await self.refresh()

    async def refresh(self) -> None:
        basis, now = self.source.slas(), self.clock()
        judged, until = await asyncio.to_thread(judge, self.source, basis, now)
        self._basis, self._judged, self._until = basis, judged, until


def judge(source: SLASource, slas: list[ServiceLevelAgreement], now: float) -> tuple[list[ServiceLevelAgreement], float]:
    """``slas`` with the terms in force at ``now``, and until when that holds (the earliest boundary of
    an SLA judged by other terms than its own; infinite when none is). Blocking (git, the API)."""
    calendar = [sla for sla in slas if sla.spec.window.calendar is not None]
    if not calendar:
        return slas, math.inf
    periods = {sla.ref: current_period(sla.spec.window, now) for sla in calendar}
    judged: dict[SLARef, ServiceLevelAgreement] = {}
    until = math.inf
    for sla in changed(source, calendar, min(p.start for p in periods.values())):
        period = periods[sla.ref]
        try:
            history = history_of(source, sla)
        except (GitError, OSError, ConnectionError, TimeoutError) as exc:
            log.warning("the terms in force of %s could not be read (served as written): %s", sla.ref, exc)
            continue
        if not history.known:
            continue
        candidate = terms_for(history, period).judging(sla)
        if candidate.spec != sla.spec:
            judged[sla.ref] = candidate
            until = min(until, period.end)
    return [judged.get(sla.ref, sla) for sla in slas], until
