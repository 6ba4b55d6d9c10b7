"""The demo's tables: what Prometheus recorded for each SLA, objective and group, and which are at risk."""

from __future__ import annotations

import datetime as dt

from rich.table import Table

from pledge.sla.identity import Row, SLARef
from pledge.api.models import PredictionOut, Predictions
from pledge.clock import rfc3339
from pledge.slo.periods import current_period, so_far
from pledge.slo.budget import State, behind_words
from pledge.sla.percent import format_percent
from pledge.status import Reading

STATE_STYLE: dict[State, str] = {"Met": "green", "AtRisk": "yellow", "Behind": "dark_orange", "Breached": "red",
                                 "NoData": "dim"}


def _percent(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f} %"


def _alert_names(reading: Reading) -> str:
    return ", ".join(sorted(a.labels.get("burn_tier", a.labels.get("alertname", "")) for a in reading.alerts)) or "-"


def behind_notes(readings: list[Reading]) -> list[str]:
    """One sentence per Behind row: how far below target so far, and what the period must win back."""
    notes = []
    for r in readings:
        if r.compliance.state == "Behind" and r.compliance.won_back is not None:
            objective = next(o for o in r.sla.spec.objectives if o.name == r.objective)
            group = f" ({r.row.group_text()})" if r.group else ""
            words = behind_words(objective, r.compliance.won_back, r.sla.spec.window.calendar or "period")
            notes.append(f"{r.sla.key} {r.objective}{group}: {words}")
    return notes


def render_table(readings: list[Reading], at: float) -> Table:
    """Every objective and group as of ``at``, with the part of its period the figures cover; a
    calendar period below target so far reads Behind (not Breached), with its sentence below the table."""
    notes = behind_notes(readings)
    table = Table(title=f"SLAs as Prometheus recorded them, at {rfc3339(at)}",
                  caption="\n".join(["Behind: " + n for n in notes]) or None, caption_justify="left")
    for column in ("SLA", "objective", "group", "period", "SLI", "target", "budget left", "state", "credit", "firing"):
        table.add_column(column, justify="right" if column in {"SLI", "target", "budget left", "credit"} else "left",
                         no_wrap=column != "firing")  # only the list of alerts may wrap
    for r in readings:
        objective = next(o for o in r.sla.spec.objectives if o.name == r.objective)
        state = r.compliance.state
        table.add_row(
            r.sla.key, r.objective, r.row.group_column(),
            so_far(current_period(r.sla.spec.window, at), at), _percent(r.compliance.sli),
            f"{format_percent(objective.target)} %", _percent(r.compliance.budget_remaining, 1),
            f"[{STATE_STYLE[state]}]{state}[/]", "-" if r.credit is None else f"{format_percent(r.credit)} %",
            _alert_names(r),
        )
    return table


def _moment(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%d %b %H:%M")


def _interval(early: dt.datetime | None, late: dt.datetime | None) -> str:
    """``24 Nov 13:10-14:55``; an interval reaching past the horizon ends in "later"."""
    if early is None:
        return "-"
    if late is None:
        return f"{_moment(early)}-later"
    return f"{_moment(early)}-{late.strftime('%H:%M' if late.date() == early.date() else '%d %b %H:%M')}"


def at_risk(predictions: Predictions) -> list[PredictionOut]:
    """Objectives not breached yet, most likely breach first: breached ones are in the table above
    (Behind ones are listed: a period below target so far can still end above it)."""
    return [p for p in predictions.items if p.state != "Breached"]


def render_predictions(items: list[PredictionOut]) -> Table:
    table = Table(title="At risk of a breach (GET /v1/predictions, times UTC)")
    for column in ("SLA", "objective", "group", "state", "SLI", "P(breach)", "breach around", "interval"):
        table.add_column(column, justify="right" if column in {"SLI", "P(breach)"} else "left")
    for p in items:
        table.add_row(str(SLARef(p.namespace, p.name)), p.objective, Row.of(p.objective, p.group).group_column(),
                      f"[{STATE_STYLE[p.state]}]{p.state}[/]", _percent(p.sli), f"{p.probability:.2f}",
                      _moment(p.breach_at), _interval(p.breach_earliest, p.breach_latest))
    return table
