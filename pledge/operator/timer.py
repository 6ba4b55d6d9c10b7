"""Status from Prometheus for the per-SLA timers, read once per interval for all SLAs together.

Each SLA has its own kopf timer (so kopf patches its status), but the figures come from one
pledge.status.read_status call over every known SLA: two Prometheus queries per round however
many SLAs there are, instead of two per SLA. Breach predictions come the same way, batched by
pledge.predictions, at a slower interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from pledge.clock import Clock
from pledge.predictions import Prediction, predict
from pledge.prom import PrometheusClient, PrometheusError
from pledge.sla import ServiceLevelAgreement
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
        self._readings: dict[str, list[Reading]] = {}

    async def readings(self, key: str, slas: Iterable[ServiceLevelAgreement]) -> list[Reading]:
        """The readings of the SLA ``key`` ("namespace/name"); ``slas`` are all SLAs known now."""
        async with self._lock:
            if self.clock() - self._read_at >= self.max_age or key not in self._readings:
                known = list(slas)
                found: dict[str, list[Reading]] = {sla.key: [] for sla in known}
                for reading in await read_status(self.client, known, self.now()):
                    found[reading.sla.key].append(reading)
                self._readings, self._read_at = found, self.clock()
        return self._readings.get(key, [])

    async def close(self) -> None:
        await self.client.aclose()


class PredictionReader:
    """Breach predictions of every SLA, refreshed in the background when older than ``max_age``.

    A forecast round reads 30 days of history for all SLAs at once and runs the model (seconds): the
    status timer takes what is cached and never waits for a round."""

    def __init__(self, client: PrometheusClient, max_age: float, now: Clock,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.max_age = max_age
        self.now = now
        self.clock = clock
        self._read_at = -max_age
        self._round: asyncio.Task[None] | None = None
        self._predictions: dict[str, list[Prediction]] = {}

    def predictions(self, key: str, slas: Iterable[ServiceLevelAgreement]) -> list[Prediction]:
        """The cached predictions of the SLA ``key``; starts a round over ``slas`` when they are stale."""
        idle = self._round is None or self._round.done()
        if idle and self.clock() - self._read_at >= self.max_age:
            self._read_at = self.clock()  # a failed round is retried after max_age, not on every timer tick
            self._round = asyncio.create_task(self._refresh(list(slas)))
        return self._predictions.get(key, [])

    async def _refresh(self, slas: list[ServiceLevelAgreement]) -> None:
        try:
            found = await predict(self.client, slas, self.now())
        except PrometheusError as exc:
            log.warning("breach predictions not refreshed, Prometheus failed: %s", exc)
            return
        by_sla: dict[str, list[Prediction]] = {sla.key: [] for sla in slas}
        for prediction in found:
            by_sla[prediction.sla.key].append(prediction)
        self._predictions = by_sla

    async def close(self) -> None:
        if self._round is not None:
            self._round.cancel()
            await asyncio.gather(self._round, return_exceptions=True)
