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
from pledge.slo.periods import calendar_elapsed
from pledge.sla import ServiceLevelAgreement
from pledge.sla.identity import Row, SLARef


@dataclass(frozen=True)
class OfRow:
    """What is known of one objective of one SLA, for one group value (``group`` is empty without
    grouping): a reading here, a prediction in pledge.predictions."""

    sla: ServiceLevelAgreement
    objective: str
    group: dict[str, str]

    @property
    def row(self) -> Row:
        return Row.of(self.objective, self.group)


@dataclass(frozen=True)
class Reading(OfRow):
    """The period's compliance, the credit it owes and the alerts firing."""

    compliance: Compliance
    credit: Decimal | None
    alerts: tuple[Alert, ...]


def period_ratios(sla: ServiceLevelAgreement, samples: list[Sample]) -> dict[Row, float]:
    """The SLA's rows of a recorded period error-ratio answer (every SLA's, from one query)."""
    return {Row.of_labels(s.labels, sla.spec.grouping): s.value for s in samples if SLARef.of_labels(s.labels) == sla.ref}


def readings_for(sla: ServiceLevelAgreement, ratios: dict[Row, float], alerts: list[Alert], *,
                 elapsed: float | None = None) -> list[Reading]:
    """Every objective and group value of ``sla`` from its period error ratios; an objective
    without a ratio (no data, no traffic) reads NoData. ``elapsed``: the share of an open calendar
    period gone (pledge.slo.periods.calendar_elapsed), below target so far then reads Behind while
    the period can still end above target; None judges the ratios now (rolling, closed)."""
    found = []
    mine = [a for a in alerts if a.state == "firing" and SLARef.of_labels(a.labels) == sla.ref]
    for objective in sla.spec.objectives:
        rows: list[tuple[Row, float | None]] = [(row, ratio) for row, ratio in sorted(ratios.items())
                                                if row.objective == objective.name]
        for row, ratio in rows or [(Row(objective.name), None)]:
            result = compliance(ratio, objective, elapsed=elapsed)
            applies = [c for c in sla.spec.credits if c.below <= objective.target]
            credit = credit_percent(result.sli, objective, applies, sla.spec.credit_cap) \
                if applies and result.sli is not None else None
            firing = tuple(a for a in mine if row.matches(a.labels))
            found.append(Reading(sla, objective.name, row.group_labels(), result, credit, firing))
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
    by_sla: dict[SLARef, list[Sample]] = defaultdict(list)  # each SLA reads its own samples only
    for sample in ratios:
        by_sla[SLARef.of_labels(sample.labels)].append(sample)
    firing: dict[SLARef, list[Alert]] = defaultdict(list)
    for alert in alerts:
        firing[SLARef.of_labels(alert.labels)].append(alert)
    return [reading for sla in slas
            for reading in readings_for(sla, period_ratios(sla, by_sla[sla.ref]), firing[sla.ref],
                                        elapsed=calendar_elapsed(sla.spec.window, at))]
