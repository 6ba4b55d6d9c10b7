"""One SLA's dashboard: per objective, SLI and budget over the period, each burn-rate tier against
its own threshold, and the forecast; maintenance windows and firing alerts as annotations.

Built per SLA because what it draws is the SLA's own: its tiers' windows and thresholds (alert
rules, not recorded series), its exclusions and its grouping labels (one variable each).
"""

from __future__ import annotations

import hashlib

from grafana_foundation_sdk.builders import dashboard, stat, timeseries

from pledge.dashboards import panels
from pledge.dashboards.queries import (
    breach_probability,
    firing,
    label_values,
    maintenance_annotation,
    objective_matchers,
    series,
    sli,
)
from pledge.rules import names
from pledge.rules.context import Context
from pledge.rules.promql import matchers
from pledge.slo.numbers import render_number
from pledge.sla.duration import format_duration
from pledge.sla.model import ServiceLevelAgreement
from pledge.sla.percent import percent_to_ratio

UID_LIMIT = 40  # Grafana refuses longer dashboard uids


def uid(sla: ServiceLevelAgreement) -> str:
    """``pledge-<namespace>-<name>``, or a stable digest of it when that is too long for Grafana."""
    text = f"pledge-{sla.metadata.namespace}-{sla.metadata.name}"
    return text if len(text) <= UID_LIMIT else "pledge-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _legend(c: Context, *extra: str) -> str:
    """The group's label values (and ``extra``), or the objective's name for an SLA without grouping."""
    return " ".join([*(f"{{{{{label}}}}}" for label in c.grouping), *extra]) or c.objective.name


def _state(c: Context) -> list[stat.Panel]:
    selector = objective_matchers(c.identity, c.grouping)
    target = float(percent_to_ratio(c.objective.target))
    warning = float(percent_to_ratio(c.objective.warning)) if c.objective.warning is not None else target
    return [
        panels.single("SLI (period)", f"Good events / valid events over the period ({c.sla.spec.window.describe()}).",
                      sli(series(names.ERROR_RATIO_PERIOD, selector)), "percentunit",
                      [(None, "red"), (target, "orange"), (warning, "green")], width=6, legend=_legend(c)),
        panels.single("Error budget left", "Share of the period's error budget not yet spent.",
                      series(names.BUDGET_REMAINING, selector), "percentunit",
                      [(None, "red"), (0.0, "orange"), (0.25, "green")], width=6, legend=_legend(c)),
    ]


def _history(c: Context) -> list[timeseries.Panel]:
    selector = objective_matchers(c.identity, c.grouping)
    lines = [(float(percent_to_ratio(c.objective.target)), "red")]
    if c.objective.warning is not None:
        lines.append((float(percent_to_ratio(c.objective.warning)), "orange"))
    legend = _legend(c)
    return [
        panels.chart("SLI over the period", f"The period's SLI as recorded every 5 minutes; red: the "
                     f"{c.objective.target} % target.", [sli(series(names.ERROR_RATIO_PERIOD, selector))],
                     "percentunit", [legend], sorted(lines)),
        panels.chart("Error budget left", "Below 0 the period's budget is spent: the SLA is breached.",
                     [series(names.BUDGET_REMAINING, selector)], "percentunit", [legend], [(0.0, "red")]),
    ]


def _burn(c: Context) -> list[timeseries.Panel]:
    """One panel per tier: its long and short window burn rates and the rate both must exceed."""
    selector = objective_matchers(c.identity, c.grouping)
    budget = render_number(c.budget)
    found = []
    for tier in c.tiers:
        windows = [format_duration(w) for w in (tier.long, tier.short)]
        exprs = [f"{series(names.error_ratio(w), selector)} / {budget}" for w in (tier.long, tier.short)]
        legends = [_legend(c, w) for w in windows]
        found.append(panels.chart(
            f"Burn rate: {tier.name} ({tier.severity})",
            f"Error ratio over {windows[0]} and {windows[1]} in budget units; the alert fires while both are "
            f"above {render_number(tier.burn_rate)} ({render_number(tier.budget_fraction * 100)} % of the "
            f"budget in the long window).{_carries(c, tier.severity, tier.name)}", exprs, "x", legends,
            [(float(tier.burn_rate), "red")], width=6))
    return found


def _carries(c: Context, severity: str, tier: str) -> str:
    """The labels the SLA gives this tier's alert (SLA-wide, its severity's, its own): what routes it."""
    labels = c.sla.spec.alerting.labels_for(severity, tier)
    shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in c.grouping)
    return f" Its alert carries {shown} (with severity={severity})." if shown else ""


def _forecast(c: Context) -> timeseries.Panel:
    minimum = float(c.sla.spec.alerting.breach_prediction.min_probability)
    gauge = f"max by ({', '.join(c.grouping) or 'objective'}) ({breach_probability(c.identity, c.grouping)})"
    return panels.chart("Breach probability", "The API's forecast (pledge_breach_probability) that the objective "
                        "breaches within the forecast horizon; SLABreachPredicted fires from the red line when "
                        "enabled.", [gauge], "percentunit", [_legend(c)], [(minimum, "red")], width=24)


def _annotations(sla: ServiceLevelAgreement) -> list[dashboard.AnnotationQuery]:
    found = [panels.annotation(f"Maintenance: {e.reason or 'planned'}", maintenance_annotation(e), "blue")
             for e in sla.spec.exclusions]
    found.append(panels.annotation("Firing alerts", firing(matchers(sla.ref.labels())), "red"))
    return found


def detail(sla: ServiceLevelAgreement) -> dashboard.Dashboard:
    board = (dashboard.Dashboard(f"pledge: {sla.key}").uid(uid(sla)).tags(["pledge", "slo", sla.metadata.namespace])
             .time("now-7d", "now").refresh("1m").with_variable(panels.datasource_variable()))
    for label in sla.spec.grouping:
        query = label_values(names.ERROR_RATIO_PERIOD, sla.ref.labels(), label)
        board = board.with_variable(panels.query_variable(label, label, query))
    for annotation in _annotations(sla):
        board = board.annotation(annotation)
    for objective in sla.spec.objectives:
        c = Context(sla, objective)
        board = board.with_row(dashboard.Row(f"{objective.name}: target {objective.target} %"))
        for panel in [*_state(c), *_history(c), *_burn(c), _forecast(c)]:
            board = board.with_panel(panel)
    return board
