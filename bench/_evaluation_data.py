"""Inputs of bench/rule_evaluation.py: the SLAs, their synthetic counters and the reference rules.

Pure: builds data and rule groups; the benchmark writes them into Prometheus.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from pledge.testing import Series
from pledge.rules import Rule, RuleGroup
from pledge.rules.generate import PERIOD_INTERVAL
from pledge.rules.sums import SLI_INTERVAL
from pledge.slo.numbers import render_number
from pledge.slo.windows import alert_windows, distinct_windows, period_seconds
from pledge.sla import ServiceLevelAgreement, parse_sla
from pledge.sla.duration import format_duration
from pledge.sla.percent import budget_ratio
from pledge.testing.synthetic import Timeline, http_counters, request_counts, split_errors, steady

NAMESPACE = "bench"
# Three instances x two status codes: six raw series per SLA, of which the error selector matches three.
INSTANCES = ("i1", "i2", "i3")
SCRAPE_STEP = 60
METRIC = "http_requests_total"  # what pledge.testing.synthetic.http_counters writes


def service(index: int) -> str:
    return f"svc-{index:03d}"


def sla(index: int) -> ServiceLevelAgreement:
    """A 99.9 %, rolling-30d availability SLA on one service's request counters."""
    name = service(index)
    return parse_sla({
        "apiVersion": "pledge.dev/v1alpha1",
        "kind": "ServiceLevelAgreement",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "service": name,
            "window": {"rolling": "30d"},
            "objectives": [{
                "name": "availability",
                "target": "99.9",
                "sli": {"ratio": {
                    "errors": f'{METRIC}{{service="{name}",code=~"5.."}}',
                    "total": f'{METRIC}{{service="{name}"}}',
                }},
            }],
        },
    })


def history(count: int, timeline: Timeline, seed: int = 1) -> Iterator[Series]:
    """``METRIC`` per service, instance and code; bursty traffic, 0.02-0.2 % errors."""
    rng = random.Random(seed)
    stamps = timeline.timestamps
    for index in range(count):
        peak_rps = rng.uniform(5, 50)
        errors = steady(rng.uniform(0.0002, 0.002))
        for instance in INSTANCES:
            requests = request_counts(timeline, peak_rps, rng)
            bad = split_errors(requests, timeline, errors, rng)
            for metric in http_counters({"service": service(index), "instance": instance}, requests, bad):
                yield Series(metric.name, metric.labels, list(zip(stamps, metric.values)), "counter")


def reference_groups(agreement: ServiceLevelAgreement) -> list[RuleGroup]:
    """The same SLA the naive (Pyrra-style) way: every window, the period too, as raw increase() ratios.

    Same windows, burn rates and group intervals as pledge's rules, so only the PromQL differs.
    """
    objective = agreement.spec.objectives[0]
    assert objective.sli.ratio is not None and objective.sli.ratio.errors is not None
    errors, total = objective.sli.ratio.errors, objective.sli.ratio.total
    labels = {**agreement.identity(), "objective": objective.name}
    tiers = alert_windows(agreement.spec.alerting, agreement.spec.window)
    budget = budget_ratio(objective.target)

    def record(window: int) -> Rule:
        w = format_duration(window)
        expr = f"sum(increase({errors}[{w}])) / sum(increase({total}[{w}]))"
        return Rule(record=f"reference:sli_error_ratio:increase{w}", expr=expr, labels=labels)

    def ratio(window: int) -> str:
        return f'reference:sli_error_ratio:increase{format_duration(window)}{{sla="{agreement.metadata.name}"}}'

    alerts = tuple(
        Rule(
            alert="ReferenceErrorBudgetBurn",
            expr=f"({ratio(t.long)} > {(threshold := render_number(t.burn_rate * budget))})"
                 f" and ({ratio(t.short)} > {threshold})",
            labels={**labels, "severity": t.severity, "tier": t.name},
        )
        for t in tiers
    )
    prefix = f"reference-{agreement.metadata.namespace}-{agreement.metadata.name}"
    return [
        RuleGroup(f"{prefix}-windows", SLI_INTERVAL, tuple(record(w) for w in distinct_windows(tiers))),
        RuleGroup(f"{prefix}-period", PERIOD_INTERVAL, (record(period_seconds(agreement.spec.window)),)),
        RuleGroup(f"{prefix}-alerts", SLI_INTERVAL, alerts),
    ]
