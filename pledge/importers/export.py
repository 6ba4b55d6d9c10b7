"""pledge SLAs as OpenSLO v1: per objective an SLI and an SLO, per SLA one AlertPolicy.

OpenSLO's SLO has one indicator, so each objective is its own SLO; ``pledge.dev/sla`` names the SLA
they came from, so importing them gives the SLA back. What OpenSLO has no field for (credits,
exclusions, customer, tier, owner, grouping, pledge's tiers, warning levels, and the SLI kinds
OpenSLO cannot say: latency, boolGauge, raw) is kept in ``pledge.dev/`` annotations.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Final

from pledge.sla import Objective, ServiceLevelAgreement
from pledge.sla.percent import format_percent
from pledge.slo.windows import alert_windows
from pledge.sla.duration import format_duration

API: Final = "openslo/v1"
PREFIX: Final = "pledge.dev/"
CALENDAR_DURATIONS: Final = {"week": "1w", "month": "1M", "quarter": "1Q"}
CALENDAR_START: Final = "2024-01-01 00:00:00"  # a Monday, a month's and a quarter's first day


def to_openslo(sla: ServiceLevelAgreement) -> list[dict[str, Any]]:
    """The OpenSLO documents of one SLA: the AlertPolicy, then each objective's SLI and SLO."""
    name = f"{sla.metadata.name}-alerts"
    documents = [_alert_policy(sla, name)]
    for index, objective in enumerate(sla.spec.objectives):
        documents += _objective(sla, index, objective, name)
    return documents


def _spec_annotations(sla: ServiceLevelAgreement) -> dict[str, str]:
    spec = sla.spec.model_dump(by_alias=True, mode="json", exclude_defaults=True)
    annotations = {f"{PREFIX}sla": sla.key}
    for field in ("customer", "tier", "owner", "description", "creditCap"):
        if field in spec:
            annotations[PREFIX + field] = str(spec[field])
    for field in ("credits", "exclusions", "grouping"):
        if field in spec:
            annotations[PREFIX + field] = json.dumps(spec[field], sort_keys=True)
    annotations[f"{PREFIX}alerting"] = json.dumps(spec.get("alerting", {}), sort_keys=True)
    return annotations


def _objective(sla: ServiceLevelAgreement, index: int, objective: Objective, policy: str) -> list[dict[str, Any]]:
    name = f"{sla.metadata.name}-{objective.name}"
    annotations = _spec_annotations(sla)
    if objective.warning is not None:
        annotations[f"{PREFIX}warning"] = format_percent(objective.warning)
    sli_spec = _indicator(objective)
    if objective.sli.ratio is None:
        annotations[f"{PREFIX}sli"] = json.dumps(objective.sli.model_dump(by_alias=True, mode="json", exclude_none=True),
                                                 sort_keys=True)
    sli = {"apiVersion": API, "kind": "SLI", "metadata": {"name": name}, "spec": {**sli_spec}}
    target: dict[str, Any] = {"displayName": objective.name, "target": float(objective.target / Decimal(100))}
    slo = {"apiVersion": API, "kind": "SLO", "metadata": {"name": name, "annotations": annotations},
           "spec": {"service": sla.spec.service, "description": objective.description, "indicatorRef": name,
                    "timeWindow": [_time_window(sla)], "budgetingMethod": "Occurrences",
                    "objectives": [target], "alertPolicies": [policy]}}
    return [sli, slo]


def _source(query: str) -> dict[str, Any]:
    return {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}


def _indicator(objective: Objective) -> dict[str, Any]:
    """What OpenSLO can say of the SLI: counters as a ratio, latency as bucket over count, the
    other kinds as a raw error ratio (the exact SLI rides in the pledge.dev/sli annotation)."""
    sli = objective.sli
    if sli.ratio is not None:
        side = {"bad": sli.ratio.errors} if sli.ratio.errors is not None else {"good": sli.ratio.good}
        return {"ratioMetric": {"counter": True, **{k: _source(str(v)) for k, v in side.items()},
                                "total": _source(sli.ratio.total)}}
    if sli.latency is not None:
        own = sli.latency.selector[1:-1].strip().rstrip(",") if sli.latency.selector else ""
        bucket = ",".join(m for m in (own, f'le="{sli.latency.threshold:g}"') if m)
        return {"ratioMetric": {"counter": True, "good": _source(f"{sli.latency.histogram}_bucket{{{bucket}}}"),
                                "total": _source(f"{sli.latency.histogram}_count{sli.latency.selector}")}}
    query = sli.raw.error_ratio if sli.raw is not None else f"1 - avg_over_time({sli.bool_gauge.metric}[{{{{window}}}}])" \
        if sli.bool_gauge is not None else ""
    return {"ratioMetric": {"counter": False, "rawType": "failure", "raw": _source(query)}}


def _time_window(sla: ServiceLevelAgreement) -> dict[str, Any]:
    window = sla.spec.window
    if window.rolling is not None:
        return {"duration": format_duration(int(window.rolling)), "isRolling": True}
    assert window.calendar is not None
    return {"duration": CALENDAR_DURATIONS[window.calendar], "isRolling": False,
            "calendar": {"startTime": CALENDAR_START, "timeZone": window.timezone}}


def _alert_policy(sla: ServiceLevelAgreement, name: str) -> dict[str, Any]:
    """pledge's burn-rate tiers as burnrate conditions (the long window is OpenSLO's lookback)."""
    conditions = [{"kind": "AlertCondition", "metadata": {"name": f"{sla.metadata.name}-{tier.name}"},
                   "spec": {"severity": tier.severity,
                            "condition": {"kind": "burnrate", "op": "gt", "threshold": float(tier.burn_rate),
                                          "lookbackWindow": format_duration(tier.long), "alertAfter": "0m"}}}
                  for tier in alert_windows(sla.spec.alerting, sla.spec.window)]
    return {"apiVersion": API, "kind": "AlertPolicy", "metadata": {"name": name},
            "spec": {"description": f"burn-rate alerts of {sla.key}", "alertWhenBreaching": True,
                     "conditions": conditions}}
