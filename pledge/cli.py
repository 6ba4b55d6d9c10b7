"""The `pledge` command: validate, generate, crd, demo. File reading and writing happen here only."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from pledge.rules import generate as generate_rules
from pledge.rules import prometheus_rule, rule_file, rule_object_name, to_yaml
from pledge.spec import ServiceLevelAgreement, SpecError, parse_yaml
from pledge.spec.crd import crd_yaml

YAML_SUFFIXES = (".yaml", ".yml")


def expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given, directories as their YAML files (sorted, not recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES))
        else:
            files.append(path)
    return files


def load(paths: tuple[Path, ...]) -> tuple[list[ServiceLevelAgreement], list[SpecError]]:
    """Every SLA in ``paths``; problems are collected per file so one bad file hides no other."""
    slas: list[ServiceLevelAgreement] = []
    errors: list[SpecError] = []
    for path in expand(paths):
        try:
            slas.extend(parse_yaml(path.read_text(encoding="utf-8"), str(path)))
        except SpecError as exc:
            errors.append(exc)
        except OSError as exc:
            errors.append(SpecError([f"(file): cannot read: {exc.strerror}"], str(path)))
    return slas, errors


def report(errors: list[SpecError]) -> None:
    for error in errors:
        click.secho(str(error), fg="red", err=True)


class LazyGroup(click.Group):
    """Commands with heavy imports (kopf, FastAPI, scikit-learn) load only when they are run."""

    lazy = {
        "operator": "pledge.operator.cli:operator",
        "serve": "pledge.api.cli:serve",
        "backtest": "pledge.forecasting.cli:backtest",
        "forecast": "pledge.forecasting.cli:forecast",
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


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check SLA files; exit 1 with one "field: reason" line per problem."""
    slas, errors = load(files)
    report(errors)
    for sla in slas:
        click.echo(f"ok  {sla.key}  ({len(sla.spec.objectives)} objective(s), {sla.spec.window.describe()})")
    if errors:
        sys.exit(1)


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
    slas, errors = load(files)
    if errors:
        report(errors)
        sys.exit(1)
    extra = parse_labels(labels)
    documents = {sla.key: render(sla, output_format, extra) for sla in slas}
    if output_dir is None:
        click.echo("---\n".join(documents.values()), nl=False)
        return
    output_dir.mkdir(parents=True, exist_ok=True)
    for sla in slas:
        path = output_dir / f"{sla.metadata.namespace}-{rule_object_name(sla)}.yaml"
        path.write_text(documents[sla.key], encoding="utf-8")
        click.echo(f"wrote {path}", err=True)


def parse_labels(labels: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for label in labels:
        key, sep, value = label.partition("=")
        if not sep or not key:
            raise click.BadParameter(f'expected KEY=VALUE, got "{label}"', param_hint="--label")
        parsed[key] = value
    return parsed


def render(sla: ServiceLevelAgreement, output_format: str, labels: dict[str, str]) -> str:
    groups = generate_rules(sla)
    if output_format == "prometheusrule":
        return to_yaml(prometheus_rule(sla, groups, labels))
    return f"# rules for {sla.key}, generated by pledge\n" + to_yaml(rule_file(groups))


@main.command()
def crd() -> None:
    """Print the ServiceLevelAgreement CustomResourceDefinition (generated from the model)."""
    click.echo(crd_yaml(), nl=False)


@main.command()
@click.option("--keep", is_flag=True, help="Leave Prometheus running (until Ctrl-C) to explore it.")
@click.option("--days", type=click.IntRange(1, 90), default=30, show_default=True, help="Days of synthetic history.")
def demo(keep: bool, days: int) -> None:
    """Example SLAs on a local Prometheus with synthetic history: what the rules record."""
    from pledge.demo.run import run
    from pledge.prom import MissingComponent

    try:
        run(keep=keep, days=days)
    except MissingComponent as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(2)
