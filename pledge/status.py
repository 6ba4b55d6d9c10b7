"""Current compliance of SLAs, read from the series the generated rules record.

One query per figure serves every SLA (no per-SLA fan-out); the math is pledge.slo.budget's.
Shared by the demo, the API and the operator's status timer.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from pledge.clock import utc
from pledge.prom import Alert, PrometheusClient, Sample
from pledge.rules import names, queries
from pledge.slo.budget import Compliance, compliance, credit_percent
from pledge.sla import ServiceLevelAgreement


@dataclass(frozen=True)
class Reading:
    """One objective of one SLA, for one group value (``group`` is empty without grouping)."""

    sla: ServiceLevelAgreement
    objective: str
    group: dict[str, str]
    compliance: Compliance
    credit: Decimal | None
    alerts: tuple[Alert, ...]


def identity(labels: dict[str, str]) -> tuple[str, str, str]:
    return labels.get("sla_namespace", ""), labels.get("sla", ""), labels.get("objective", "")


def group_of(labels: dict[str, str], grouping: list[str]) -> dict[str, str]:
    return {g: labels.get(g, "") for g in grouping}


Key = tuple[str, tuple[tuple[str, str], ...]]
"""(objective, sorted group items): one row of an SLA's figures."""


def key_of(labels: dict[str, str], grouping: list[str]) -> Key:
    return labels.get("objective", ""), tuple(sorted(group_of(labels, grouping).items()))


def period_ratios(sla: ServiceLevelAgreement, samples: list[Sample]) -> dict[Key, float]:
    """The SLA's rows of a recorded period error-ratio answer (every SLA's, from one query)."""
    mine = sla.metadata.namespace, sla.metadata.name
    return {key_of(s.labels, sla.spec.grouping): s.value for s in samples if identity(s.labels)[:2] == mine}


def _alerts_for(alerts: list[Alert], key: tuple[str, str, str], group: dict[str, str]) -> tuple[Alert, ...]:
    return tuple(a for a in alerts if a.state == "firing" and identity(a.labels) == key
                 and all(a.labels.get(k) == v for k, v in group.items()))


def readings_for(sla: ServiceLevelAgreement, ratios: dict[Key, float], alerts: list[Alert]) -> list[Reading]:
    """Every objective and group value of ``sla`` from its period error ratios; an objective
    without a ratio (no data, no traffic) reads NoData."""
    found = []
    for objective in sla.spec.objectives:
        key = (sla.metadata.namespace, sla.metadata.name, objective.name)
        groups: list[tuple[dict[str, str], float | None]] = [
            (dict(group), ratio) for (name, group), ratio in sorted(ratios.items()) if name == objective.name
        ]
        for group, ratio in groups or [({}, None)]:
            result = compliance(ratio, objective)
            applies = [c for c in sla.spec.credits if c.below <= objective.target]
            credit = credit_percent(result.sli, objective, applies, sla.spec.credit_cap) \
                if applies and result.sli is not None else None
            found.append(Reading(sla, objective.name, group, result, credit, _alerts_for(alerts, key, group)))
    return found


def alerts_of(samples: list[Sample]) -> list[Alert]:
    """Firing alerts from a ``queries.firing_alerts`` answer: each ALERTS sample, with its activeAt
    from the ALERTS_FOR_STATE sample of the same labels when the alert has a ``for``."""
    def key(labels: dict[str, str]) -> frozenset[tuple[str, str]]:
        return frozenset((k, v) for k, v in labels.items() if k != "alertstate")

    since = {key(s.labels): s.value for s in samples if s.name == queries.ALERTS_FOR_STATE}
    return [Alert(labels=s.labels, annotations={}, state="firing", active_at=utc(since.get(key(s.labels))),
                  value=s.value)
            for s in samples if s.name == queries.ALERTS]


async def firing_at(client: PrometheusClient, at: float, selector: str = "") -> list[Alert]:
    """The alerts firing at ``at`` (one query): the moment's own, not today's."""
    return alerts_of(await client.query(queries.firing_alerts(selector), at=at))


async def read_status(client: PrometheusClient, slas: list[ServiceLevelAgreement], at: float) -> list[Reading]:
    """Period compliance and firing alerts of every objective of every SLA at ``at``: two queries in all."""
    ratios, alerts = await asyncio.gather(client.query(names.ERROR_RATIO_PERIOD, at=at), firing_at(client, at))
    by_sla: dict[tuple[str, str], list[Sample]] = defaultdict(list)  # each SLA reads its own samples only
    for sample in ratios:
        by_sla[identity(sample.labels)[:2]].append(sample)
    firing: dict[tuple[str, str], list[Alert]] = defaultdict(list)
    for alert in alerts:
        firing[identity(alert.labels)[:2]].append(alert)
    return [reading for sla in slas for reading in readings_for(sla, period_ratios(sla, by_sla[sla_ident(sla)]),
                                                                firing[sla_ident(sla)])]


def sla_ident(sla: ServiceLevelAgreement) -> tuple[str, str]:
    return sla.metadata.namespace, sla.metadata.name
