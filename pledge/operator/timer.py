"""Status from Prometheus for the per-SLA timers, read once per interval for all SLAs together.

Each SLA has its own kopf timer (so kopf patches its status), but the figures come from one
pledge.status.read_status call over every known SLA: two Prometheus queries per round however
many SLAs there are, instead of two per SLA. Breach predictions come from pledge.predictions.Rounds,
the API's rounds too, at a slower interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from pledge.clock import Clock
from pledge.prom import PrometheusClient
from pledge.sla import ServiceLevelAgreement
from pledge.sla.identity import SLARef
from pledge.status import Reading, read_status

log = logging.getLogger(__name__)


class StatusReader:
    """Readings of every SLA as of ``now()``, refreshed when older than ``max_age`` seconds (by
    ``clock``, which measures elapsed time) or missing an SLA."""

    def __init__(self, client: PrometheusClient, max_age: float, now: Clock,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.max_age = max_age
        self.now = now
        self.clock = clock
        self._lock = asyncio.Lock()
        self._read_at = -max_age
        self._readings: dict[SLARef, list[Reading]] = {}

    async def readings(self, key: SLARef, slas: Iterable[ServiceLevelAgreement]) -> list[Reading]:
        """The readings of the SLA ``key``; ``slas`` are all SLAs known now."""
        async with self._lock:
            if self.clock() - self._read_at >= self.max_age or key not in self._readings:
                known = list(slas)
                found: dict[SLARef, list[Reading]] = {sla.ref: [] for sla in known}
                for reading in await read_status(self.client, known, self.now()):
                    found[reading.sla.ref].append(reading)
                self._readings, self._read_at = found, self.clock()
        return self._readings.get(key, [])

    async def close(self) -> None:
        await self.client.aclose()
