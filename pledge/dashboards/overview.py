"""The overview dashboard: every SLA pledge records, whatever files it came from, on one page."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, stat, table

from pledge.slo.budget import STATE_CODE
from pledge.dashboards import panels
from pledge.dashboards.queries import (
    OVERVIEW_FILTERS,
    firing,
    join,
    like,
    overview_alerts,
    scoped,
    sli,
    state,
    with_budget,
)
from pledge.rules import names
from pledge.sla import format_duration

UID = "pledge-overview"
NOW = format_duration(names.BURN_NOW)


def _variable_query(label: str) -> str:
    """customer is a metadata label (customer-based SLAs) or a grouping label (per-customer SLAs)."""
    if label == "customer":
        return f'label_values({{__name__=~"{names.TARGET}|{names.ERROR_RATIO_PERIOD}"}}, customer)'
    return f"label_values({names.TARGET}, {label})"


def _table() -> table.Panel:
    period = scoped(names.ERROR_RATIO_PERIOD)
    columns = {
        "state": state(period),
        "SLI": sli(period),
        "target": scoped(names.TARGET),
        "budget left": scoped(names.BUDGET_REMAINING),
        f"burn now ({NOW})": with_budget(scoped(names.error_ratio(names.BURN_NOW))),
    }
    return panels.merged_table(
        "SLAs", "One row per SLA, objective and group: state, SLI and error budget left over the period, "
        f"and the burn rate now, over the last {NOW} (1 = spending the budget exactly by the period's end).",
        columns)


def _counts() -> list[stat.Panel]:
    period = scoped(names.ERROR_RATIO_PERIOD)
    pages = firing(join(like(OVERVIEW_FILTERS), 'severity="page"'))
    return [
        panels.single("Breached", "Objectives (and groups) below target for the period.",
                      f"count({state(period)} == {STATE_CODE['Breached']})", "none", [(None, "green"), (1.0, "red")], empty="0"),
        panels.single("At risk", "Objectives inside their tolerance band (below warning, above target).",
                      f"count({state(period)} == {STATE_CODE['AtRisk']})", "none", [(None, "green"), (1.0, "orange")], empty="0"),
        panels.single("Firing alerts", "pledge alerts firing now (pages and tickets).",
                      f"count({overview_alerts()})", "none", [(None, "green"), (1.0, "red")], empty="0"),
        panels.single("Pages", "Firing alerts of severity page.",
                      f"count({pages})", "none",
                      [(None, "green"), (1.0, "red")], empty="0"),
    ]


def overview() -> dashboard.Dashboard:
    board = (dashboard.Dashboard("pledge: SLA overview").uid(UID).tags(["pledge", "slo"]).time("now-24h", "now")
             .refresh("1m").with_variable(panels.datasource_variable()))
    for label, name in OVERVIEW_FILTERS.items():
        board = board.with_variable(panels.query_variable(name, name.capitalize(), _variable_query(label)))
    for panel in _counts():
        board = board.with_panel(panel)
    return (board.with_panel(_table()).with_panel(panels.alerts_table("Firing alerts", "Every pledge alert firing now, with its routing "
                                                 "labels (severity, owner, burn_tier, and those the SLA sets for "
                                                 "all its alerts, per severity or per tier).", overview_alerts()))
            .with_panel(panels.chart("Error budget left", "Share of the period's error budget not yet spent; "
                                     "below 0 the SLA is breached.", [scoped(names.BUDGET_REMAINING)], "percentunit",
                                     lines=[(0.0, "red")]))
            .with_panel(panels.chart(f"Burn rate now ({NOW})", f"Error ratio over {NOW} in budget units: above 1 the "
                                     "budget runs out before the period ends.",
                                     [with_budget(scoped(names.error_ratio(names.BURN_NOW)))], "x",
                                     lines=[(1.0, "orange")])))
