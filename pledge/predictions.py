"""Breach predictions of SLAs, forecast from the 5-minute rates the generated rules record.

Batched history fetches serve many SLAs each (two range queries per chunk of SLAs, not two per SLA);
the forecast itself is pledge.forecasting's pure function. Shared, like pledge.status, by
`pledge forecast`, the API and the operator's status timer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from pledge.forecasting.analogs import calibration
from pledge.forecasting.fetch import Key, fetch
from pledge.forecasting.forecast import Forecast, forecast
from pledge.forecasting.goal import Goal, goals_of
from pledge.forecasting.series import StepCounts
from pledge.prom import PrometheusClient
from pledge.rules.queries import any_sla_matchers
from pledge.slo.budget import State, credit_percent
from pledge.slo.periods import current_period
from pledge.sla import ServiceLevelAgreement
from pledge.sla.model import Objective
from pledge.sla.percent import format_percent
from pledge.sla.units import HOUR
from pledge.status import group_of

HISTORY = 30 * 86_400


@dataclass(frozen=True)
class Prediction:
    """One objective of one SLA, for one group value (``group`` is empty without grouping)."""

    sla: ServiceLevelAgreement
    objective: Objective
    group: dict[str, str]
    forecast: Forecast
    message: str

    @property
    def state(self) -> State:
        return self.forecast.current.state

    @property
    def probability(self) -> float:
        return self.forecast.probability


def _identity(sla: ServiceLevelAgreement, goal: Goal) -> dict[str, str]:
    return {"sla": sla.metadata.name, "sla_namespace": sla.metadata.namespace, "objective": goal.objective.name}


def _batch(fetched: Mapping[Key, StepCounts], keys: list[Key]) -> StepCounts:
    first = fetched[keys[0]]
    return StepCounts(first.timestamps, np.stack([fetched[k].errors for k in keys]),
                  np.stack([fetched[k].total for k in keys]), first.step)


def _prediction(sla: ServiceLevelAgreement, objective: Objective, group: dict[str, str], f: Forecast) -> Prediction:
    who = ",".join(group.values()) or sla.spec.customer or sla.spec.service
    return Prediction(sla, objective, group, f, message(sla, objective, f"{who}'s {sla.spec.service} {objective.name}", f))


def _when(unix: float) -> str:
    return dt.datetime.fromtimestamp(unix, dt.timezone.utc).strftime("%d %b %H:%M UTC")


def _hours(seconds: int) -> str:
    return f"{seconds // 86_400} days" if seconds % 86_400 == 0 and seconds >= 2 * 86_400 else f"{seconds / HOUR:g} h"


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
        credit = f"{format_percent(owed)} % credit owed" if owed else "no credit tier reached"
        return f"{what} is already below {target} % {period}: {100 * f.current.sli:.2f} %; {credit}."
    chance = f"{100 * f.probability:.0f} % chance"
    meaning = f"of 100 forecasts like this one, about {100 * f.probability:.0f} end in a breach"
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
            ident = _identity(sla, goal).items()
            keys = sorted(k for k in fetched if ident <= dict(k).items())
            if not keys:
                continue
            for key, f in zip(keys, forecast(_batch(fetched, keys), goal, horizon)):
                found.append(_prediction(sla, goal.objective, group_of(dict(key), sla.spec.grouping), f))
    return sorted(found, key=lambda p: -p.probability)


CHUNK = 5  # SLAs per history fetch: a round holds one chunk's decoded answer and arrays, not the fleet's


async def predict(client: PrometheusClient, slas: list[ServiceLevelAgreement], at: float,
                  horizon: int | None = None, history: int = HISTORY) -> list[Prediction]:
    """Predictions as of ``at`` (the caller's clock) from ``history`` seconds of recorded rates.

    SLAs are fetched and forecast CHUNK at a time (two range queries each), so memory is bounded by
    a chunk, not the fleet; each chunk's forecast runs in a worker thread, so an event loop serving
    requests or kopf handlers gets its turn between chunks instead of stalling for the whole round.
    Chunks change nothing in the answer: each SLA's forecast reads only its own series."""
    found: list[Prediction] = []
    end = int(at)
    for first in range(0, len(slas), CHUNK):
        chunk = slas[first:first + CHUNK]
        fetched, _ = await fetch(client, end - history, end, any_sla_matchers([s.metadata.name for s in chunk]))
        found += await asyncio.to_thread(predictions_from, chunk, fetched, horizon)
        del fetched
    return sorted(found, key=lambda p: -p.probability)  # stable: ties stay in SLA order, as in one batch


async def warm_up() -> None:
    """Read the shipped calibration ahead of the first prediction (nothing is trained at start)."""
    await asyncio.to_thread(calibration)
