"""`pledge operator`: run the operator with kopf's runner, settings from options or PLEDGE_* variables."""

from __future__ import annotations

import click
import kopf

from pledge.operator.config import ENV, OUTPUTS, OperatorConfig
from pledge.operator.handlers import register
from pledge.rules.render import parse_labels


def _labels(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    try:
        return parse_labels(",".join(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("operator")
@click.option("--standalone", is_flag=True, help="Run without peering (one replica; the chart's Deployment uses Recreate).")
@click.option("-n", "--namespace", "namespaces", multiple=True, help="Watch these namespaces (exact names; repeat the option).")
@click.option("-A", "--all-namespaces", is_flag=True, help="Watch the whole cluster (the default without --namespace).")
@click.option("--output", type=click.Choice(OUTPUTS), default="prometheusrule", show_default=True, envvar=ENV["output"],
              help="PrometheusRule for prometheus-operator, or ConfigMap with a rule file for a plain Prometheus.")
@click.option("--rule-label", "labels", multiple=True, metavar="KEY=VALUE", callback=_labels, envvar=ENV["labels"],
              help="Label for every rule object, e.g. release=kube-prometheus-stack for its ruleSelector.")
@click.option("--prometheus-url", envvar=ENV["prometheus_url"], help="Enables the status timer (SLI, budget, state).")
@click.option("--status-interval", type=click.FloatRange(min=1), default=300, show_default=True,
              envvar=ENV["status_interval"], help="Seconds between status refreshes from Prometheus.")
@click.option("--prediction-interval", type=click.FloatRange(min=1), default=900, show_default=True,
              envvar=ENV["prediction_interval"], help="Seconds between breach-prediction refreshes (written with the status).")
@click.option("--liveness", default="http://0.0.0.0:8080/healthz", show_default=True, help="Liveness endpoint URL.")
@click.option("--log-format", type=click.Choice(["json", "plain", "full"]), default="json", show_default=True)
@click.option("--verbose", is_flag=True, help="Debug logging.")
def operator(standalone: bool, namespaces: tuple[str, ...], all_namespaces: bool, output: str,
             labels: dict[str, str], prometheus_url: str | None, status_interval: float, prediction_interval: float,
             liveness: str, log_format: str, verbose: bool) -> None:
    """Reconcile ServiceLevelAgreement resources into PrometheusRules (or ConfigMaps) and status."""
    config = OperatorConfig(output="configmap" if output == "configmap" else "prometheusrule", labels=labels,
                            prometheus_url=prometheus_url, status_interval=status_interval,
                            prediction_interval=prediction_interval)
    registry = kopf.OperatorRegistry()
    register(registry, config)
    kopf.configure(verbose=verbose, log_format=kopf.LogFormat[log_format.upper()])
    kopf.run(registry=registry, standalone=standalone, namespaces=namespaces,
             clusterwide=all_namespaces or not namespaces, liveness_endpoint=liveness)
