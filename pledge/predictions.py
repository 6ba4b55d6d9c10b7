"""Breach predictions of SLAs, forecast from the 5-minute rates the generated rules record.

One batched history fetch serves every SLA (two range queries per 10,000 points, not two per SLA);
the forecast itself is pledge.forecasting's pure function. Shared, like pledge.status, by
`pledge forecast`, the API and the operator's status timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from pledge.forecasting.fetch import Key, fetch
from pledge.forecasting.forecast import Forecast, forecast, message
from pledge.forecasting.goal import Goal, goals_of
from pledge.forecasting.model import regressors
from pledge.forecasting.series import StepCounts
from pledge.prom import PrometheusClient
from pledge.rules.queries import any_sla_matchers
from pledge.slo.budget import State
from pledge.sla import ServiceLevelAgreement
from pledge.sla.model import Objective
from pledge.sla.percent import format_percent
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
    words = message(who, f"{sla.spec.service} {objective.name}", format_percent(objective.target), f)
    return Prediction(sla, objective, group, f, words)


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


async def predict(client: PrometheusClient, slas: list[ServiceLevelAgreement], at: float,
                  horizon: int | None = None, history: int = HISTORY) -> list[Prediction]:
    """Predictions as of ``at`` (the caller's clock) from ``history`` seconds of recorded rates.

    The forecast runs in a worker thread: the first one in a process trains the model (seconds),
    and an event loop serving requests or kopf handlers must not stall meanwhile."""
    if not slas:
        return []
    end = int(at)
    fetched, _ = await fetch(client, end - history, end, any_sla_matchers([s.metadata.name for s in slas]))
    return await asyncio.to_thread(predictions_from, slas, fetched, horizon)


async def warm_up() -> None:
    """Train the model ahead of the first prediction (the demo does it while history loads)."""
    await asyncio.to_thread(regressors)
