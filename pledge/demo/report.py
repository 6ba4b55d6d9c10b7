"""Read what Prometheus recorded for each SLA, objective and group, and show it as a table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from rich.table import Table

from pledge.prom import Alert, PrometheusClient, Sample
from pledge.rules import names
from pledge.slo.budget import Compliance, compliance, credit_percent
from pledge.spec import ServiceLevelAgreement
from pledge.spec.percent import format_percent

STATE_STYLE = {"Met": "green", "AtRisk": "yellow", "Breached": "red", "NoData": "dim"}
_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?")


@dataclass(frozen=True)
class Row:
    sla: str
    objective: str
    group: str
    target: Decimal
    compliance: Compliance
    credit: Decimal | None
    alerts: tuple[str, ...]


def parse_timestamp(text: str) -> float:
    """Prometheus' RFC 3339 timestamps carry nanoseconds, which datetime does not read."""
    match = _TIMESTAMP.match(text)
    if match is None:
        raise ValueError(f"not a timestamp: {text!r}")
    fraction = float(match.group(2) or 0)
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=timezone.utc).timestamp() + fraction


def _key(labels: dict[str, str]) -> tuple[str, str, str]:
    return labels.get("sla_namespace", ""), labels.get("sla", ""), labels.get("objective", "")


def _group(labels: dict[str, str], grouping: list[str]) -> str:
    return ",".join(labels.get(g, "") for g in grouping) or "-"


def _alert_names(alerts: list[Alert], sla: ServiceLevelAgreement, objective: str, group: str) -> tuple[str, ...]:
    found = []
    for alert in alerts:
        if alert.state == "firing" and _key(alert.labels) == (sla.metadata.namespace, sla.metadata.name, objective) \
                and _group(alert.labels, sla.spec.grouping) == group:
            found.append(alert.labels.get("burn_tier", alert.labels.get("alertname", "")))
    return tuple(sorted(found))


def _rows_for(sla: ServiceLevelAgreement, ratios: list[Sample], alerts: list[Alert]) -> list[Row]:
    rows = []
    for objective in sla.spec.objectives:
        key = (sla.metadata.namespace, sla.metadata.name, objective.name)
        found: dict[str, float | None] = {_group(s.labels, sla.spec.grouping): s.value for s in ratios if _key(s.labels) == key}
        for group, ratio in sorted(found.items()) or [("-", None)]:
            result = compliance(ratio, objective)
            applies = [c for c in sla.spec.credits if c.below <= objective.target]
            credit = credit_percent(result.sli, objective, applies, sla.spec.credit_cap) \
                if applies and result.sli is not None else None
            rows.append(Row(sla.key, objective.name, group, objective.target, result, credit,
                            _alert_names(alerts, sla, objective.name, group)))
    return rows


async def read_rows(client: PrometheusClient, slas: list[ServiceLevelAgreement], at: float | None = None) -> list[Row]:
    """One query for every SLA's period error ratio, plus the firing alerts."""
    ratios = await client.query(names.ERROR_RATIO_PERIOD, at=at)
    alerts = await client.alerts()
    return [row for sla in slas for row in _rows_for(sla, ratios, alerts)]


def _percent(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f} %"


def render_table(rows: list[Row]) -> Table:
    table = Table(title="SLAs as Prometheus recorded them")
    for column in ("SLA", "objective", "group", "SLI", "target", "budget left", "state", "credit", "firing"):
        table.add_column(column, justify="right" if column in {"SLI", "target", "budget left", "credit"} else "left")
    for row in rows:
        state = row.compliance.state
        table.add_row(
            row.sla, row.objective, row.group, _percent(row.compliance.sli), f"{format_percent(row.target)} %",
            _percent(row.compliance.budget_remaining, 1), f"[{STATE_STYLE[state]}]{state}[/]",
            "-" if row.credit is None else f"{format_percent(row.credit)} %", ", ".join(row.alerts) or "-",
        )
    return table
