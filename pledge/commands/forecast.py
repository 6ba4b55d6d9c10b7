"""`pledge backtest` and `pledge forecast`: click commands loaded by pledge.commands.main."""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from pledge.forecasting.backtest import Decisions, period_record, replay, run
from pledge.forecasting.goal import Goal, goal_for
from pledge.forecasting.io import read_counts, read_metric, write_predictions
from pledge.forecasting.methods import BurnRate, Linear, Method
from pledge.forecasting.record import DAY, Record, summarize
from pledge.forecasting.analogs import Pledge
from pledge.forecasting.series import StepCounts, SeriesError
from pledge.clock import system, utc
from pledge.commands.common import AT_HELP, Moment, load_or_exit
from pledge.predictions import Prediction, predict
from pledge.prom.client import PrometheusClient
from pledge.sla.duration import parse_duration
from pledge.sla.model import ServiceLevelAgreement, Window

METHODS: dict[str, type[Method]] = {"pledge": Pledge, "linear": Linear, "burnrate": BurnRate}
_CALENDAR = re.compile(r"^calendar:(week|month|quarter)(?::(.+))?$")


def parse_window(text: str) -> Window:
    """``30d`` (rolling) or ``calendar:month`` / ``calendar:month:Europe/Berlin``."""
    match = _CALENDAR.match(text.strip())
    try:
        if match:
            return Window(calendar=match.group(1), timezone=match.group(2) or "UTC")  # type: ignore[arg-type]
        return Window.model_validate({"rolling": text})
    except ValidationError as exc:
        raise click.BadParameter(exc.errors()[0]["msg"], param_hint="--window") from exc


def parse_durations(text: str, hint: str) -> list[int]:
    try:
        return [parse_duration(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from exc


def _target(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise click.BadParameter(f'must be a percentage such as "99.9", got "{text}"', param_hint="--target") from exc
    if not Decimal(0) < value < Decimal(100):
        raise click.BadParameter(f"must be between 0 and 100 exclusive, got {text}", param_hint="--target")
    return value


def _load(csv_file: Path | None, metric: Path | None, bad_when: str | None, fill_gaps: bool) -> StepCounts:
    if (csv_file is None) == (metric is None):
        raise click.UsageError("give a counts CSV, or --from-metric FILE with --bad-when")
    if metric is not None:
        if not bad_when:
            raise click.UsageError("--from-metric needs --bad-when, e.g. --bad-when '> 500'")
        return read_metric(metric, bad_when, fill_gaps=fill_gaps)
    assert csv_file is not None
    return read_counts(csv_file, fill_gaps=fill_gaps)


def wide() -> Console:
    """Tables stay readable when piped (rich falls back to 80 columns without a terminal)."""
    return Console(width=max(Console().width, 180))


def _fmt(value: object, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def score_table(results: dict[tuple[str, int], dict[str, Any]]) -> Table:
    table = Table(title="Backtest: breach warnings, event level")
    for name in ("method", "H", "breaches", "alarms", "precision", "recall", "F1", "warning h", "foreseeable",
                 "lead foreseeable h", "lead p50 h", "false alarms/mo", "Brier", "skill"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for (method, horizon), r in results.items():
        table.add_row(method, f"{horizon // 3600}h", str(r["breaches"]), str(r["alarms"]), _fmt(r["precision"]),
                      _fmt(r["recall"]), _fmt(r["f1"]), _fmt(r["warning_time_h"], 1), str(r["foreseeable"]),
                      _fmt(r["foreseeable_lead_h"], 1), _fmt(r["lead_median_h"], 1), _fmt(r["false_alarms_per_month"]),
                      _fmt(r["brier"], 4), _fmt(r["brier_skill"]))
    return table


def reliability_table(results: dict[tuple[str, int], dict[str, Any]]) -> Table:
    table = Table(title="Reliability: observed breach frequency per bin of predicted probability")
    for name in ("method", "H", "bin", "decisions", "predicted", "observed"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for (method, horizon), r in results.items():
        for b in r["reliability"]:
            table.add_row(method, f"{horizon // 3600}h", f"{b['low']:.1f}-{b['high']:.1f}", str(b["decisions"]),
                          _fmt(b["predicted"], 3), _fmt(b["observed"], 3))
    return table


@click.command()
@click.argument("csv_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--from-metric", "metric", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A timestamp,value CSV turned into one event per step.")
@click.option("--bad-when", help="With --from-metric: when a step is bad, e.g. '> 500'.")
@click.option("--target", default="99.9", show_default=True, help="Objective in percent.")
@click.option("--window", "window_text", default="30d", show_default=True, help="Rolling (30d) or calendar:month[:ZONE].")
@click.option("--horizons", default="1h,6h,24h,72h", show_default=True)
@click.option("--methods", "method_names", default="pledge,linear,burnrate", show_default=True)
@click.option("--every", default="1h", show_default=True, help="Time between decisions.")
@click.option("--fill-gaps", is_flag=True, help="Count missing steps as no traffic instead of failing.")
@click.option("--json", "as_json", is_flag=True, help="Scores as JSON.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), help="PNG of the first horizon.")
@click.option("--predictions", "predictions_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of every decision.")
def backtest(csv_file: Path | None, metric: Path | None, bad_when: str | None, target: str, window_text: str,
             horizons: str, method_names: str, every: str, fill_gaps: bool, as_json: bool,
             plot_path: Path | None, predictions_path: Path | None) -> None:
    """Replay a history and score breach warnings per method and horizon."""
    unknown = [m for m in method_names.split(",") if m not in METHODS]
    if unknown:
        raise click.BadParameter(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}", param_hint="--methods")
    chosen = [METHODS[m]() for m in method_names.split(",")]
    spans, stride = parse_durations(horizons, "--horizons"), parse_durations(every, "--every")[0]
    try:
        series = _load(csv_file, metric, bad_when, fill_gaps)
        goal = goal_for(_target(target), parse_window(window_text))
        kept: list[Decisions] = []
        results = _run(series, goal, chosen, spans, stride, kept, quiet=as_json)
    except SeriesError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([{"method": m, "horizon_s": h, **r} for (m, h), r in results.items()], indent=2))
    else:
        wide().print(score_table(results))
        wide().print(reliability_table(results))
        print_record(series, goal, chosen)
    if predictions_path is not None:
        click.echo(f"wrote {write_predictions(predictions_path, series, kept)} decisions to {predictions_path}", err=True)
    if plot_path is not None:
        from pledge.forecasting.plot import plot

        plot(plot_path, replay(series, goal), kept, spans[0])
        click.echo(f"wrote {plot_path}", err=True)


def record_table(records: dict[str, Record], unit: str) -> Table:
    """Each method's track record, as GET /v1/predictions/record gives pledge's (pledge.forecasting.record)."""
    table = Table(title=f"Track record: will the {unit} end below target? One decision a day at 00:00 UTC")
    for name in ("method", f"{unit}s", "breached", "warned", "warned, breached", "missed", "median warning d",
                 "decisions", "Brier", "base rate", "skill"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for method, r in records.items():
        table.add_row(method, str(r.periods), str(r.breached), str(r.warned), str(r.warned_breached), str(r.missed),
                      _fmt(None if r.median_warning is None else r.median_warning / DAY, 1), str(r.decisions),
                      _fmt(r.brier, 4), _fmt(r.base_rate), _fmt(r.brier_skill))
    return table


def record_reliability_table(records: dict[str, Record]) -> Table:
    table = Table(title="Track record reliability: share of the period's decisions that breached, per bin")
    for name in ("method", "bin", "decisions", "predicted", "observed"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for method, r in records.items():
        for b in r.reliability:
            if b.count:
                table.add_row(method, f"{b.low:.1f}-{b.high:.1f}", str(b.count), _fmt(b.predicted, 3), _fmt(b.observed, 3))
    return table


def print_record(series: StepCounts, goal: Goal, methods: list[Method]) -> None:
    """For a calendar window: each method's track record over the periods the history covers whole."""
    calendar = goal.window.calendar
    if calendar is None:
        click.echo("Track record: judged for calendar windows only (--window calendar:month); a rolling window's "
                   "predictions are about the next 7 days, not a period that closes.")
        return
    r = replay(series, goal)
    records = {m.name: summarize(period_record(r, m), calendar) for m in methods}
    wide().print(record_table(records, calendar))
    wide().print(record_reliability_table(records))
    for method, record in records.items():
        click.echo(f"{method}: {record.words}")


def _run(series: StepCounts, goal: Goal, methods: list[Method], horizons: list[int], every: int,
         kept: list[Decisions], *, quiet: bool) -> dict[tuple[str, int], dict[str, Any]]:
    with Progress(disable=quiet, transient=True) as bar:
        task = bar.add_task("replaying", total=len(methods) * len(horizons))
        tallies = run([(series, goal)], methods, horizons, every=every, keep=kept, progress=lambda: bar.advance(task))
    return {key: t.summary() for key, t in tallies.items()}


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prometheus", "url", required=True, envvar="PLEDGE_PROMETHEUS_URL", help="Prometheus base URL.")
@click.option("--horizon", help="Default: to the end of the calendar period, or 7d for rolling windows.")
@click.option("--history", default="30d", show_default=True, help="How much history to read.")
@click.option("--min-probability", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--at", type=Moment(), help=AT_HELP)
@click.option("--json", "as_json", is_flag=True)
def forecast(files: tuple[Path, ...], url: str, horizon: str | None, history: str, min_probability: float,
             at: float | None, as_json: bool) -> None:
    """SLAs (and group values) at risk of breaching, most likely first."""
    slas = load_or_exit(files)
    span = parse_durations(horizon, "--horizon")[0] if horizon else None
    moment = system() if at is None else at
    found = asyncio.run(_predict(url, slas, moment, span, parse_durations(history, "--history")[0]))
    rows = [p for p in found if p.probability >= min_probability]
    if as_json:
        click.echo(json.dumps([_row(p) for p in rows], indent=2, default=str))
    else:
        wide().print(risk_table(rows))


async def _predict(url: str, slas: list[ServiceLevelAgreement], at: float, horizon: int | None,
                   history: int) -> list[Prediction]:
    async with PrometheusClient(url, timeout=60.0) as client:
        return await predict(client, slas, at, horizon=horizon, history=history)


def _row(p: Prediction) -> dict[str, Any]:
    f = p.forecast
    return {"sla": p.sla.key, "objective": p.objective, "group": p.group, "probability": round(f.probability, 3),
            "breach_at": f.breach_at, "breach_earliest": f.breach_earliest, "breach_latest": f.breach_latest,
            "sli": f.current.sli, "state": p.state, "projected_sli": f.projected_sli, "exhaustion_at": f.exhaustion_at,
            "horizon_s": f.horizon, "at": f.at, "message": p.message}


def _time(unix: int | None) -> str:
    return "-" if unix is None else utc(unix).strftime("%d %b %H:%M")


def risk_table(predictions: list[Prediction]) -> Table:
    table = Table(title="SLAs at risk (UTC)")
    for name in ("SLA", "objective", "group", "SLI", "state", "P(breach)", "breach at", "interval", "projected SLI", "exhausted at"):
        table.add_column(name)
    for p in predictions:
        f = p.forecast
        table.add_row(p.sla.key, p.objective, p.row.group_column(), _percent(f.current.sli), p.state,
                      f"{f.probability:.2f}", _time(f.breach_at), f"{_time(f.breach_earliest)} - {_time(f.breach_latest)}",
                      _percent(f.projected_sli), _time(f.exhaustion_at))
    return table


def _percent(ratio: float | None) -> str:
    return "-" if ratio is None else f"{100 * ratio:.3f} %"
