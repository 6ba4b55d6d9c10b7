"""Breach predictions of SLAs, forecast from the 5-minute rates the generated rules record.

Batched history fetches serve many SLAs each (one range query per chunk of SLAs, not one per SLA);
the forecast itself is pledge.forecasting's pure function. Shared, like pledge.status, by
`pledge forecast`, the API and the operator's status timer; the last two keep the latest round with
``Rounds``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from pledge.background import once, refresh_forever
from pledge.clock import Clock, utc
from pledge.forecasting.analogs import calibration
from pledge.forecasting.fetch import Key, fetch
from pledge.forecasting.forecast import Forecast, forecast
from pledge.forecasting.goal import goals_of
from pledge.forecasting.series import StepCounts
from pledge.prom import PrometheusClient
from pledge.rules.queries import any_sla_matchers
from pledge.slo.budget import State, behind_words, credit_percent
from pledge.slo.periods import current_period
from pledge.sla import ServiceLevelAgreement
from pledge.sla.model import Objective
from pledge.sla.percent import format_percent
from pledge.sla.units import HOUR
from pledge.sla.identity import OBJECTIVE_LABEL, SLARef, group_of
from pledge.status import OfRow

HISTORY = 30 * 86_400


@dataclass(frozen=True)
class Prediction(OfRow):
    """The forecast of a breach, with its words for customer success; ``terms`` is the objective's spec."""

    terms: Objective
    forecast: Forecast
    message: str

    @property
    def state(self) -> State:
        return self.forecast.current.state

    @property
    def probability(self) -> float:
        return self.forecast.probability



def _batch(fetched: Mapping[Key, StepCounts], keys: list[Key]) -> StepCounts:
    first = fetched[keys[0]]
    return StepCounts(first.timestamps, np.stack([fetched[k].errors for k in keys]),
                  np.stack([fetched[k].total for k in keys]), first.step)


def _prediction(sla: ServiceLevelAgreement, objective: Objective, group: dict[str, str], f: Forecast) -> Prediction:
    who = ",".join(group.values()) or sla.spec.customer or sla.spec.service
    words = message(sla, objective, f"{who}'s {sla.spec.service} {objective.name}", f)
    return Prediction(sla, objective.name, group, objective, f, words)


def _when(unix: float) -> str:
    return utc(unix).strftime("%d %b %H:%M UTC")


def _hours(seconds: int) -> str:
    return f"{seconds // 86_400} days" if seconds % 86_400 == 0 and seconds >= 2 * 86_400 else f"{seconds / HOUR:g} h"


def _share(probability: float) -> str:
    """A probability as whole percents, never rounded to a certainty it is not: "more than 99", "less than 1"."""
    if 0 < probability < 0.005:
        return "less than 1"
    if 0.995 <= probability < 1:
        return "more than 99"
    return f"{100 * probability:.0f}"


def message(sla: ServiceLevelAgreement, objective: Objective, what: str, f: Forecast) -> str:
    """Plain words for customer success: the figure and credit owed if already breached; otherwise
    the chance, what it means, and when the period (or the forecast's horizon) ends."""
    target, window = format_percent(objective.target), sla.spec.window
    period = f"this {window.calendar}" if window.calendar is not None else f"over the last {window.rolling}"
    ends = current_period(window, float(f.at)).end if window.calendar is not None else None
    if ends is not None and int(ends) == f.at + f.horizon:
        end = f"before the {window.calendar} ends on {_when(ends)}"
    else:
        end = f"within the next {_hours(f.horizon)} (by {_when(f.at + f.horizon)})"
    if f.current.state == "Breached" and f.current.sli is not None:
        owed = credit_percent(f.current.sli, objective, sla.spec.credits, sla.spec.credit_cap)
        if window.calendar is None:
            credit = f"{format_percent(owed)} % credit owed" if owed else "no credit tier reached"
            return f"{what} is already below {target} % {period}: {100 * f.current.sli:.2f} %; {credit}."
        credit = f"{format_percent(owed)} % credit at this figure" if owed else "no credit tier reached at this figure"
        return (f"{what} can no longer end {period} at or above {target} %: {100 * f.current.sli:.2f} % so far; "
                f"{credit}, owed when the {window.calendar} closes.")
    share = _share(f.probability)
    chance = f"{share} % chance"
    meaning = f"of 100 forecasts like this one, {'about ' if share[0].isdigit() else ''}{share} end in a breach"
    if f.current.state == "Behind" and f.current.won_back is not None and window.calendar is not None:
        behind = behind_words(objective, f.current.won_back, window.calendar)
        return f"{what} is {behind}: {chance} of ending below {target} % {end} ({meaning})."
    if f.breach_at is not None and f.probability >= 0.5:
        return f"{what}: {chance} of falling below {target} % {end}, most likely around {_when(f.breach_at)} ({meaning})."
    return f"{what}: {chance} of falling below {target} % {end} ({meaning})."


def predictions_from(slas: list[ServiceLevelAgreement], fetched: Mapping[Key, StepCounts],
                     horizon: int | None) -> list[Prediction]:
    """Pure: every objective and group value with history in ``fetched``, most likely breach first.

    One forecast call per objective forecasts all its group values as one batch."""
    found: list[Prediction] = []
    for sla in slas:
        for goal in goals_of(sla):
            ident = {**sla.ref.labels(), OBJECTIVE_LABEL: goal.objective.name}.items()
            keys = sorted(k for k in fetched if ident <= dict(k).items())
            if not keys:
                continue
            for key, f in zip(keys, forecast(_batch(fetched, keys), goal, horizon)):
                found.append(_prediction(sla, goal.objective, dict(group_of(dict(key), sla.spec.grouping)), f))
    return sorted(found, key=lambda p: -p.probability)


CHUNK = 5  # SLAs per history fetch: a round holds one chunk's decoded answer and arrays, not the fleet's


async def predict(client: PrometheusClient, slas: list[ServiceLevelAgreement], at: float,
                  horizon: int | None = None, history: int = HISTORY, chunk: int = CHUNK) -> list[Prediction]:
    """Predictions as of ``at`` (the caller's clock) from ``history`` seconds of recorded rates.

    SLAs are fetched and forecast ``chunk`` at a time (one range query each), so memory is bounded by
    a chunk, not the fleet; each chunk's forecast runs in a worker thread, so an event loop serving
    requests or kopf handlers gets its turn between chunks instead of stalling for the whole round.
    Chunks change nothing in the answer: each SLA's forecast reads only its own series."""
    found: list[Prediction] = []
    end = int(at)
    for first in range(0, len(slas), chunk):
        some = slas[first:first + chunk]
        fetched, _ = await fetch(client, end - history, end, any_sla_matchers([s.metadata.name for s in some]))
        found += await asyncio.to_thread(predictions_from, some, fetched, horizon)
        del fetched
    return sorted(found, key=lambda p: -p.probability)  # stable: ties stay in SLA order, as in one batch


async def warm_up() -> None:
    """Read the shipped calibration ahead of the first prediction (nothing is trained at start)."""
    await asyncio.to_thread(calibration)


class Rounds:
    """The latest round of default-horizon predictions of every SLA ``slas()`` lists. A round reads 30
    days of history and runs the model (seconds), so readers take what is cached and never wait for one.

    The API refreshes every ``max_age`` seconds (``run``) and computes the first round on the first
    request (``current``); the operator's status timer asks per SLA (``of``), which starts a round in
    the background when the cached one is older than ``max_age`` (measured by ``elapsed``)."""

    def __init__(self, client: PrometheusClient, slas: Callable[[], list[ServiceLevelAgreement]], clock: Clock,
                 max_age: float, elapsed: Callable[[], float] = time.monotonic) -> None:
        self.client, self.slas, self.clock = client, slas, clock
        self.max_age, self.elapsed = max_age, elapsed
        self.computed_at: float | None = None
        self._latest: list[Prediction] | None = None
        self._by_sla: dict[SLARef, list[Prediction]] = {}
        self._started = -max_age  # ``elapsed`` at the start of the latest round
        self._lock = asyncio.Lock()
        self._round: asyncio.Task[None] | None = None

    async def _compute(self) -> None:
        self._started, at, slas = self.elapsed(), self.clock(), self.slas()
        found = await predict(self.client, slas, at)
        by_sla: dict[SLARef, list[Prediction]] = {sla.ref: [] for sla in slas}  # also those without history
        for prediction in found:
            by_sla[prediction.sla.ref].append(prediction)
        self._latest, self._by_sla, self.computed_at = found, by_sla, at

    async def refresh(self) -> None:
        """One round now; Prometheus errors propagate and the previous round stays."""
        async with self._lock:
            await self._compute()

    async def current(self) -> tuple[list[Prediction], float]:
        """The cached round and its moment, never waiting for a refresh; computed now if there is none
        yet (then Prometheus errors propagate)."""
        if self._latest is None:
            async with self._lock:
                if self._latest is None:
                    await self._compute()
        assert self._latest is not None and self.computed_at is not None
        return self._latest, self.computed_at

    def cached(self) -> list[Prediction]:
        return self._latest or []

    def of(self, sla: SLARef) -> list[Prediction]:
        """The cached predictions of one SLA; starts a round in the background when they are stale or
        the SLA is new to them (a failed round is retried after ``max_age``, not at every call)."""
        idle = self._round is None or self._round.done()
        stale = self.elapsed() - self._started >= self.max_age
        if idle and (stale or (sla not in self._by_sla and self._latest is not None)):
            self._started = self.elapsed()
            self._round = asyncio.create_task(once(self.refresh, "breach predictions"))
        return self._by_sla.get(sla, [])

    async def run(self) -> None:
        """Refresh forever, ``max_age`` apart; a failed round keeps the previous one (with its computed_at)."""
        await refresh_forever(self.refresh, self.max_age, "breach predictions")

    async def close(self) -> None:
        if self._round is not None:
            self._round.cancel()
            await asyncio.gather(self._round, return_exceptions=True)
