"""Inputs of bench/rule_evaluation.py: the SLAs, their synthetic counters and two reference rule sets.

Pure: builds data and rule groups; the benchmark writes them into Prometheus.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from pledge.testing import Series
from pledge.rules import Rule, RuleGroup, names
from pledge.rules.context import Context
from pledge.rules.promql import sli_rates
from pledge.rules.tiles import SLI_INTERVAL, TILE
from pledge.slo.numbers import render_number
from pledge.slo.windows import alert_windows, distinct_windows
from pledge.sla import ServiceLevelAgreement, parse_sla
from pledge.sla.duration import format_duration
from pledge.sla.tiers import period_seconds
from pledge.sla.percent import budget_ratio, percent_to_ratio
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
    labels = {**agreement.ref.labels(), "objective": objective.name}
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
        RuleGroup(f"{prefix}-period", TILE, (record(period_seconds(agreement.spec.window)),)),
        RuleGroup(f"{prefix}-alerts", SLI_INTERVAL, alerts),
    ]


# The old layout (pledge before its 5 m tiles, commit 58b9ad4), renamed so both live in one Prometheus.
OLD_ERRORS_RATE = "old:sli_errors:rate5m"
OLD_REQUESTS_RATE = "old:sli_requests:rate5m"
OLD_LONG_HISTORY = frozenset({OLD_ERRORS_RATE, OLD_REQUESTS_RATE})


def _old_ratio(window: int) -> str:
    return f"old:sli_error_ratio:rate{format_duration(window)}"


def old_groups(agreement: ServiceLevelAgreement) -> list[RuleGroup]:
    """REFERENCE, not pledge's rules: the layout pledge had before its tiles, for a rolling ratio SLO.

    30 s base rates over 5m; windows up to 1 h raw, longer ones and the period (every 5 m) as
    ``sum_over_time`` of the base rates, each event read by ten overlapping samples; every alert in
    the 30 s alerts group. Annotations are left out: they cost nothing until an alert fires.
    """
    c = Context(agreement, agreement.spec.objectives[0])
    base = names.BASE_WINDOW
    errors_rate, requests_rate = c.series(OLD_ERRORS_RATE), c.series(OLD_REQUESTS_RATE)

    def summed(span: int) -> tuple[str, str]:
        """Base-rate sums over ``span``, one base window late (the first rate covers the 5m before it)."""
        reach = format_duration(span - base)
        return f"sum_over_time({errors_rate}[{reach}])", f"sum_over_time({requests_rate}[{reach}])"

    def window_ratio(window: int) -> str:
        if window == base:
            return c.ratio(errors_rate, requests_rate)
        if window <= names.RAW_WINDOW_LIMIT:
            return "{} / ({} > 0)".format(*sli_rates(c.objective.sli, window, c.grouping))
        return c.ratio(*summed(window))

    windows = sorted({base, *distinct_windows(c.tiers)})
    base_errors, base_requests = sli_rates(c.objective.sli, base, c.grouping)
    sli = [c.record(OLD_ERRORS_RATE, base_errors), c.record(OLD_REQUESTS_RATE, base_requests),
           *(c.record(_old_ratio(w), window_ratio(w)) for w in windows)]
    period = period_seconds(agreement.spec.window)
    bad, valid = (f"{s} * {SLI_INTERVAL}" for s in summed(period))
    ratio = c.series("old:sli_error_ratio:period")
    info = {"service": agreement.spec.service}
    periodic = [
        c.record("old:slo_target:ratio", f"vector({render_number(percent_to_ratio(c.objective.target))})", info),
        c.record("old:error_budget:ratio", f"vector({render_number(c.budget)})", info),
        c.record("old:slo_period:seconds", f"vector({period})", info),
        c.record("old:sli_errors:period_increase", bad),
        c.record("old:sli_requests:period_increase", valid),
        c.record("old:sli_error_ratio:period",
                 c.ratio(c.series("old:sli_errors:period_increase"), c.series("old:sli_requests:period_increase"))),
        c.record("old:error_budget_remaining:ratio", f"1 - {ratio} / {render_number(c.budget)}"),
    ]
    alerts = [
        *(Rule(alert="OldErrorBudgetBurn",
               expr=f"({c.series(_old_ratio(t.long))} > {(threshold := render_number(t.burn_rate * c.budget))})"
                    f" and {c.on} ({c.series(_old_ratio(t.short))} > {threshold})",
               labels={**c.identity, "severity": t.severity, "tier": t.name})
          for t in c.tiers),
        Rule(alert="OldBudgetExhausted", expr=f"{ratio} > {render_number(c.budget)}",
             labels={**c.identity, "severity": "page"}),
        Rule(alert="OldMetricAbsent",
             expr=f"present_over_time({requests_rate}[1d]) unless {c.on} {requests_rate}",
             for_=format_duration(int(agreement.spec.alerting.absent_for)), labels={**c.identity, "severity": "ticket"}),
    ]
    prefix = f"old-{agreement.metadata.namespace}-{agreement.metadata.name}"
    return [RuleGroup(f"{prefix}-sli", SLI_INTERVAL, tuple(sli)), RuleGroup(f"{prefix}-period", TILE, tuple(periodic)),
            RuleGroup(f"{prefix}-alerts", SLI_INTERVAL, tuple(alerts))]
