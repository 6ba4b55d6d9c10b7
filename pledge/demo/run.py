"""`pledge demo`: example SLAs, a throwaway Prometheus, 30 days of history, and what it recorded."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from pledge.api.auth import TokenEntry, new_token
from pledge.api.models import PredictionOut, Predictions
from pledge.api.server import running_api
from pledge.api.sources import packaged_examples, read_directory
from pledge.demo.report import at_risk, render_predictions, render_table
from pledge.demo.scenario import demo_metrics
from pledge.clock import fixed, system
from pledge.predictions import warm_up
from pledge.prom import PrometheusClient
from pledge.testing import LocalPrometheus
from pledge.testing.history import go_live, load_history
from pledge.rules import RuleGroup, generate
from pledge.signals import stopping_like_ctrl_c
from pledge.sla import ServiceLevelAgreement
from pledge.status import Reading, read_status
from pledge.testing.synthetic import Metric, Timeline

FORECAST_TIMEOUT = 300.0  # the first forecast round of a busy machine


@dataclass(frozen=True)
class Outcome:
    """What the demo showed as of ``at``: Prometheus' readings, the API's at-risk list, the text printed."""

    at: float
    readings: list[Reading]
    at_risk: list[PredictionOut]
    text: str = ""


def example_slas() -> list[ServiceLevelAgreement]:
    """The SLAs shipped in pledge/examples: the embedded default, read as `pledge serve` reads them."""
    return read_directory(packaged_examples())


async def _demo(console: Console, keep: bool, days: int, at: float) -> Outcome:
    slas = example_slas()
    training = asyncio.create_task(warm_up())  # the shipped forecast calibration loads while the history does
    end = float(int(at) // 60 * 60)
    timeline, metrics = demo_metrics(end, days=days)
    groups = [g for sla in slas for g in generate(sla)]
    with LocalPrometheus() as prom:  # rules come after the history: no evaluation competes with it
        console.print(f"[bold]Prometheus[/] {prom.url} (pid {prom.pid}), {len(slas)} SLAs, "
                      f"{sum(len(g.rules) for g in groups)} rules")
        await _load(console, prom, timeline, metrics, groups)
        go_live(prom, groups)  # live from here on, for --keep; every figure below is as of `end`
        async with PrometheusClient(prom.url) as client:
            readings = await read_status(client, slas, end)
        console.print(render_table(readings, end))
        await training
        risky = await _serve_api(console, slas, prom, keep, end)
    return Outcome(end, readings, risky)


async def _load(console: Console, prom: LocalPrometheus, timeline: Timeline, metrics: list[Metric], groups: list[RuleGroup]) -> None:
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("raw history", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        started = time.monotonic()

        def step(message: str) -> None:
            console.print(f"  {time.monotonic() - started:5.1f} s  {message}")
            progress.update(task, description=message[:40])

        await load_history(prom, timeline, metrics, groups, step=step, progress=advance)


async def _serve_api(console: Console, slas: list[ServiceLevelAgreement], prom: LocalPrometheus,
                     keep: bool, at: float) -> list[PredictionOut]:
    """The API on the same Prometheus, with a one-off token and its clock at the demo's moment;
    kept up with --keep."""
    token = new_token()
    entries = [TokenEntry.from_token("demo", token, ["read:all"])]
    async with running_api(slas, prom.url, entries, clock=fixed(at)) as api_url:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=FORECAST_TIMEOUT) as http:
            risky = at_risk(Predictions.model_validate((await http.get(f"{api_url}/v1/predictions")).raise_for_status().json()))
            console.print(render_predictions(risky))
            for p in risky[:1]:
                console.print(f"  {p.message}")
            record = (await http.get(f"{api_url}/v1/predictions/record")).raise_for_status().json()
            console.print(f"[bold]Track record[/] (GET /v1/predictions/record): {record['fleet']['words']}\n"
                          "  Each prediction round is kept as pledge_breach_probability once Prometheus scrapes the "
                          "API's /metrics; closed periods then judge it.")
            answer = await http.get(f"{api_url}/v1/slas/shop/checkout")
        console.print(f"[bold]API[/] {api_url}  (docs: {api_url}/docs)\n"
                      f"  curl -H 'Authorization: Bearer {token}' {api_url}/v1/predictions\n"
                      f"  curl -H 'Authorization: Bearer {token}' {api_url}/v1/slas/shop/checkout")
        console.print(f"  -> {answer.status_code}, {len(answer.content):,} bytes of JSON"
                      + ("" if keep else "; run `pledge demo --keep` to keep Prometheus and the API up"))
        console.print(f"[bold]Console[/] {api_url}/  (sign in with the token {token})", soft_wrap=True)
        if keep:
            console.print(f"Prometheus {prom.url} (pid {prom.pid}) and the API stay up until Ctrl-C (or SIGTERM, SIGHUP).")
            await asyncio.Event().wait()
    return risky


def run(keep: bool = False, days: int = 30, at: float | None = None) -> Outcome:
    """Run the demo as of ``at`` (default now); Ctrl-C, SIGTERM or SIGHUP stop it cleanly (the context
    managers stop Prometheus and the API and remove their files; a second signal hurries them)."""
    console = Console(width=None if Console().is_terminal else 160, record=True)
    moment = system() if at is None else at
    with stopping_like_ctrl_c():
        try:
            outcome = asyncio.run(_demo(console, keep, days, moment))
        except KeyboardInterrupt:
            console.print("stopped; Prometheus shut down")
            outcome = Outcome(moment, [], [])
    return dataclasses.replace(outcome, text=console.export_text())
