"""The `pledge` group and its light commands: validate, generate, dashboards, alertmanager, crd, demo,
backfill. SLA files are read by pledge.files; the heavy commands are modules beside this one."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from pledge.clock import system
from pledge.commands.common import Moment, load_or_exit
from pledge.files import Problem, Scan, check
from pledge.git_history import GitError, sla_history
from pledge.rules import generate as generate_rules
from pledge.rules import prometheus_rule, rule_file, rule_object_name, to_yaml
from pledge.rules.render import parse_labels
from pledge.sla import ServiceLevelAgreement
from pledge.sla.crd import crd_yaml, revision_crd_yaml
from pledge.sla.duration import parse_duration
from pledge.slo.terms import takes_effect


class LazyGroup(click.Group):
    """Commands with heavy imports (kopf, FastAPI, scikit-learn) load only when they are run."""

    lazy = {
        "operator": "pledge.commands.operator:operator",
        "serve": "pledge.commands.serve:serve",
        "backtest": "pledge.commands.forecast:backtest",
        "forecast": "pledge.commands.forecast:forecast",
        "import": "pledge.commands.importers:import_command",
        "export": "pledge.commands.importers:export",
        "history": "pledge.commands.history:history",
        "review": "pledge.commands.review:review",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attribute = self.lazy[name].split(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pledge")
def main() -> None:
    """pledge: service level agreements as code, turned into Prometheus rules and alerts."""


VALID, ERRORS, WARNINGS = 0, 1, 3


@main.command(epilog="""\b
Exit codes:
  0  every SLA is valid (skipped non-SLA YAML is only a note)
  1  at least one error: an invalid SLA, an unreadable or non-UTF-8 file, not
     valid YAML, two SLAs with one namespace/name, or a file named that is
     not an SLA (without --skip-foreign)
  2  usage error
  3  warnings only: files in another SLO format (Sloth, OpenSLO, Pyrra)
     were skipped""")
@click.argument("paths", metavar="FILE_OR_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one object with files, slas, problems (file, line, path, message, severity) and skipped.")
@click.option("--skip-foreign", is_flag=True,
              help="Skip files named that are not pledge SLAs, as a directory walk does (for pre-commit, which "
                   "passes every staged YAML file).")
@click.option("--history/--no-history", default=True, show_default=True,
              help="In a git work tree, note budget-critical changes that wait for the next period (changePolicy).")
def validate(paths: tuple[Path, ...], output_format: str, skip_foreign: bool, history: bool) -> None:
    """Check SLA files; directories are walked recursively for *.yaml and *.yml.

    A file found walking a directory that is not a pledge SLA is skipped with a note (Prometheus rule
    files, Kubernetes manifests, other YAML) or a warning (Sloth, OpenSLO and Pyrra specs: convert them
    with `pledge import`); a file named that is not an SLA is an error.
    """
    scan = check(paths, skip_foreign=skip_foreign, now=system())  # a correction may not end in the future
    deferred = waiting_changes(scan) if history else []
    if output_format == "json":
        click.echo(json.dumps({**scan.as_json(), "deferred": [dataclasses.asdict(p) for p in deferred]}, indent=2))
    else:
        _print_scan(scan)
        for p in deferred:
            click.secho(f"{p.file}:{p.line}: note: {p.path}: {p.message}", fg="yellow", err=True)
    sys.exit(ERRORS if scan.errors else WARNINGS if scan.warnings else VALID)


def waiting_changes(scan: Scan) -> list[Problem]:
    """A budget-critical change of an SLA file (committed or not) made during a period under
    ``changePolicy: nextPeriod``: when it takes effect, and which terms judge the current period.
    A note, not a warning: the change is valid, and a pre-commit hook must not fail on it."""
    out: list[Problem] = []
    for found in scan.slas:
        try:
            h = sla_history(Path(found.file), found.sla)
        except GitError as error:
            out.append(Problem(found.file, found.line, "spec", f"history not read: {error}", "note"))
            continue
        when = takes_effect(h)
        if when is None or len(h.revisions) < 2:
            continue
        window = found.sla.spec.window
        local = when.astimezone(ZoneInfo(window.timezone)).date().isoformat()
        kept = h.revisions[-2]
        changed = ", ".join(h.current.changes) or "the terms"
        out.append(Problem(found.file, found.line, "spec", (
            f"{found.sla.key}: {changed} changed (budget-critical) under changePolicy nextPeriod: takes effect on "
            f"{local}; the current {window.calendar} keeps revision {kept.number}'s terms"), "note"))
    return out


def _print_scan(scan: Scan) -> None:
    """Problems as "file:line: severity: path: message" on stderr, valid SLAs and notes on stdout."""
    for problem in scan.problems:
        where = f"{problem.file}:{problem.line}" if problem.line is not None else problem.file
        what = f"{problem.path}: " if problem.path else ""
        click.secho(f"{where}: {problem.severity}: {what}{problem.message}",
                    fg="red" if problem.severity == "error" else "yellow", err=True)
    for skipped in scan.skipped:
        if skipped.severity == "note":
            click.echo(f"skip {skipped.file}: {skipped.reason}")
    for found in scan.slas:
        sla = found.sla
        click.echo(f"ok  {sla.key}  ({len(sla.spec.objectives)} objective(s), {sla.spec.window.describe()})")
    counts = [f"{len(scan.slas)} SLA(s) valid in {len(scan.files)} file(s)"]
    counts += [f"{len(group)} {name}" for name, group in
               (("error(s)", scan.errors), ("warning(s)", scan.warnings), ("skipped", scan.skipped)) if group]
    click.echo(", ".join(counts), err=True)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["prometheus", "prometheusrule"]), default="prometheus",
              show_default=True, help="A Prometheus rule file, or a prometheus-operator PrometheusRule object.")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one file per SLA here instead of printing to stdout.")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE",
              help="Label for PrometheusRule objects (e.g. release=prometheus for a ruleSelector).")
def generate(files: tuple[Path, ...], output_format: str, output_dir: Path | None, labels: tuple[str, ...]) -> None:
    """Generate recording rules and alerts from SLA files."""
    slas = load_or_exit(files)
    extra = _labels(labels)
    documents = {sla.key: render(sla, output_format, extra) for sla in slas}
    if output_dir is None:
        click.echo("---\n".join(documents.values()), nl=False)
        return
    paths: dict[Path, ServiceLevelAgreement] = {}
    for sla in slas:  # "a-pledge-b"/"c" and "a"/"b-pledge-c" would share a file: refuse, overwrite neither
        path = output_dir / f"{sla.metadata.namespace}-{rule_object_name(sla)}.yaml"
        if path in paths:
            click.secho(f"{path}: would hold the rules of both {paths[path].key} and {sla.key}; rename one",
                        fg="red", err=True)
            sys.exit(1)
        paths[path] = sla
    output_dir.mkdir(parents=True, exist_ok=True)
    for path, sla in paths.items():
        path.write_text(documents[sla.key], encoding="utf-8")
        click.echo(f"wrote {path}", err=True)


def _labels(labels: tuple[str, ...]) -> dict[str, str]:
    try:
        return parse_labels(",".join(labels))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--label") from None


def render(sla: ServiceLevelAgreement, output_format: str, labels: dict[str, str]) -> str:
    groups = generate_rules(sla)
    if output_format == "prometheusrule":
        return to_yaml(prometheus_rule(sla, groups, labels))
    return f"# rules for {sla.key}, generated by pledge\n" + to_yaml(rule_file(groups))


@main.command()
@click.argument("paths", metavar="[FILE_OR_DIR...]", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one JSON file per dashboard here instead of one JSON document per line to stdout.")
def dashboards(paths: tuple[Path, ...], output_dir: Path | None) -> None:
    """Grafana dashboards: the overview of every SLA, and a detail dashboard per SLA in the files."""
    from pledge.dashboards import dashboards as build, render

    boards = build(load_or_exit(paths) if paths else [])
    if output_dir is None:
        click.echo("".join(json.dumps(board, sort_keys=True) + "\n" for board in boards.values()), nl=False)
        return
    output_dir.mkdir(parents=True, exist_ok=True)
    for name, board in boards.items():
        (output_dir / name).write_text(render(board), encoding="utf-8")
        click.echo(f"wrote {output_dir / name}", err=True)


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """A Prometheus duration ("30s", "5m", "1h30m") as seconds."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@click.argument("paths", metavar="[FILE_OR_DIR...]", nargs=-1, type=click.Path(path_type=Path))
@click.option("--customer-route", is_flag=True,
              help="Also route SLABreachPredicted and SLABudgetAtRisk of customer SLAs to customer success.")
@click.option("--customer-receiver", default="customer-success", show_default=True, help="Its receiver.")
@click.option("--group-wait", default="30s", show_default=True, callback=_duration)
@click.option("--group-interval", default="5m", show_default=True, callback=_duration)
@click.option("--repeat-interval", default="4h", show_default=True, callback=_duration)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not to stdout.")
def alertmanager(paths: tuple[Path, ...], customer_route: bool, customer_receiver: str, group_wait: int,
                 group_interval: int, repeat_interval: int, output: Path | None) -> None:
    """An Alertmanager configuration: owners' routes (page, ticket) and inhibit rules for the SLAs' alerts."""
    from pledge.routing.alertmanager import Timing, config

    text = to_yaml(config(load_or_exit(paths) if paths else [], customer_receiver if customer_route else None,
                          Timing(group_wait, group_interval, repeat_interval)))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@main.command()
@click.option("--revisions", is_flag=True, help="The SLARevision CRD instead (the operator's record of every change).")
def crd(revisions: bool) -> None:
    """Print the ServiceLevelAgreement CustomResourceDefinition (generated from the model)."""
    click.echo(revision_crd_yaml() if revisions else crd_yaml(), nl=False)


@main.command()
@click.option("--keep", is_flag=True, help="Leave Prometheus running (until Ctrl-C) to explore it.")
@click.option("--days", type=click.IntRange(1, 90), default=30, show_default=True, help="Days of synthetic history.")
@click.option("--at", type=Moment(), help="The moment the history ends and every figure is as of; default now.")
def demo(keep: bool, days: int, at: float | None) -> None:
    """Example SLAs on a local Prometheus with synthetic history: what the rules record."""
    from pledge.demo.run import run
    from pledge.prom import MissingComponent

    try:
        run(keep=keep, days=days, at=at)
    except MissingComponent as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(2)


@main.command()
@click.argument("paths", metavar="FILE_OR_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prometheus", "url", required=True, envvar="PLEDGE_PROMETHEUS_URL",
              help="The Prometheus that runs the SLAs' rules and holds their raw counters.")
@click.option("--data-dir", required=True, type=click.Path(exists=True, file_okay=False, writable=True, path_type=Path),
              help="That server's data directory (its --storage.tsdb.path): the blocks move there.")
@click.option("--days", type=click.IntRange(1, 400),
              help="How far back.  [default: the SLA's rolling window or current calendar period, and an hour]")
@click.option("--at", type=Moment(), help="The moment to count --days back from (RFC 3339 or unix seconds); default now.")
def backfill(paths: tuple[Path, ...], url: str, data_dir: Path, days: int | None, at: float | None) -> None:
    """Record the SLAs' tiles from before their rules ran, from the raw counters in Prometheus.

    Load the rules first (pledge generate, or the operator) and run this once their first tile is in
    (within 5 minutes): the tiles backfilled meet the rules' own exactly, so the period's figures and
    the long-window alerts are right. Nothing is written where the server's TSDB head still holds
    samples (its last 1 to 3 hours; a block there would make the server drop every series' samples
    from before the block's end at its next restart): the tiles from the head's start to the rules'
    first tile are left for a second run, and the command says when that can record them (once the
    server has written that part of its head to a block, 1 to 3 hours after the rules started).
    Runs promtool (Debian package prometheus) where the data directory is writable; restarting the
    server while it runs is safe, and loads the blocks at once.
    """
    import asyncio

    from pledge.tsdb.backfill import BackfillError, backfill as run
    from pledge.prom.errors import PrometheusError

    slas = load_or_exit(paths)
    try:
        shortfalls = asyncio.run(run(slas, url, data_dir.resolve(), system() if at is None else at, days,
                                   lambda line: click.echo(line, err=True)))
    except (BackfillError, PrometheusError) as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C cancels the run; asyncio.run re-raises it as
        # CancelledError, not KeyboardInterrupt, when the task was cancelled twice (a query's own timeout too)
        click.secho("interrupted: run the same command again; it keeps the levels already moved into the data "
                    "directory and records the rest", fg="yellow", err=True)
        sys.exit(130)
    for short in shortfalls:
        click.secho(f"warning: {short.message}", fg="yellow", err=True)
