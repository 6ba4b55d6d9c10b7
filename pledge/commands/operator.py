"""`pledge operator`: run the operator with kopf's runner, settings from options over PLEDGE_* variables."""

from __future__ import annotations

from typing import Any

import click
import kopf
from click.core import ParameterSource
from pydantic import ValidationError

from pledge.operator.config import OUTPUTS, OperatorConfig
from pledge.operator.handlers import register
from pledge.rules.render import parse_labels
from pledge.signals import stopping_like_ctrl_c


def _labels(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    try:
        return parse_labels(",".join(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _default(setting: str) -> object:
    """The config's own default, for --help: an option left out is not passed on, so the environment
    still sets it (see ``_given``)."""
    return OperatorConfig.model_fields[setting].default


def _given(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings whose options are on the command line: they win over the environment."""
    ctx = click.get_current_context()
    return {name: value for name, value in settings.items() if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE}


@click.command("operator")
@click.option("--standalone", is_flag=True, help="Run without peering (one replica; the chart's Deployment uses Recreate).")
@click.option("-n", "--namespace", "namespaces", multiple=True, help="Watch these namespaces (exact names; repeat the option).")
@click.option("-A", "--all-namespaces", is_flag=True, help="Watch the whole cluster (the default without --namespace).")
@click.option("--output", type=click.Choice(OUTPUTS), default=_default("output"), show_default=True,
              help="PrometheusRule for prometheus-operator, or ConfigMap with a rule file for a plain Prometheus.")
@click.option("--rule-label", "labels", multiple=True, metavar="KEY=VALUE", callback=_labels,
              help="Label for every rule object, e.g. release=kube-prometheus-stack for its ruleSelector.")
@click.option("--prometheus-url", help="Enables the status timer (SLI, budget, state).")
@click.option("--status-interval", type=click.FloatRange(min=1), default=_default("status_interval"), show_default=True,
              help="Seconds between status refreshes from Prometheus.")
@click.option("--prediction-interval", type=click.FloatRange(min=1), default=_default("prediction_interval"), show_default=True,
              help="Seconds between breach-prediction refreshes (written with the status).")
@click.option("--liveness", default="http://0.0.0.0:8080/healthz", show_default=True, help="Liveness endpoint URL.")
@click.option("--log-format", type=click.Choice(["json", "plain", "full"]), default="json", show_default=True)
@click.option("--verbose", is_flag=True, help="Debug logging.")
def operator(standalone: bool, namespaces: tuple[str, ...], all_namespaces: bool, liveness: str, log_format: str,
             verbose: bool, **settings: Any) -> None:
    """Reconcile ServiceLevelAgreement resources into PrometheusRules (or ConfigMaps) and status."""
    try:
        config = OperatorConfig(**_given(settings))
    except ValidationError as exc:
        raise click.UsageError(f"invalid settings:\n{exc}") from None
    registry = kopf.OperatorRegistry()
    register(registry, config)
    kopf.configure(verbose=verbose, log_format=kopf.LogFormat[log_format.upper()])
    with stopping_like_ctrl_c():  # kopf stops on SIGINT and SIGTERM itself; SIGHUP too, this way
        kopf.run(registry=registry, standalone=standalone, namespaces=namespaces,
                 clusterwide=all_namespaces or not namespaces, liveness_endpoint=liveness)
