"""The demo's table: what Prometheus recorded for each SLA, objective and group."""

from __future__ import annotations

from rich.table import Table

from pledge.spec.percent import format_percent
from pledge.status import Reading

STATE_STYLE = {"Met": "green", "AtRisk": "yellow", "Breached": "red", "NoData": "dim"}


def _percent(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f} %"


def _alert_names(reading: Reading) -> str:
    return ", ".join(sorted(a.labels.get("burn_tier", a.labels.get("alertname", "")) for a in reading.alerts)) or "-"


def render_table(readings: list[Reading]) -> Table:
    table = Table(title="SLAs as Prometheus recorded them")
    for column in ("SLA", "objective", "group", "SLI", "target", "budget left", "state", "credit", "firing"):
        table.add_column(column, justify="right" if column in {"SLI", "target", "budget left", "credit"} else "left")
    for r in readings:
        objective = next(o for o in r.sla.spec.objectives if o.name == r.objective)
        state = r.compliance.state
        table.add_row(
            r.sla.key, r.objective, ",".join(r.group.values()) or "-", _percent(r.compliance.sli),
            f"{format_percent(objective.target)} %", _percent(r.compliance.budget_remaining, 1),
            f"[{STATE_STYLE[state]}]{state}[/]", "-" if r.credit is None else f"{format_percent(r.credit)} %",
            _alert_names(r),
        )
    return table
