"""Sloth: the ``prometheus/v1`` file and the ``sloth.slok.dev/v1`` PrometheusServiceLevel resource.

Each Sloth SLO becomes one SLA (Sloth sets alert names, labels and annotations per SLO; pledge per
SLA, and per severity: a ``page_alert``'s and ``ticket_alert``'s own labels and annotations become
``alerting.severities``). Sloth's period is 30 days unless its command line says otherwise, and its burn windows
(5m/1h x14.4, 30m/6h x6, 2h/1d x3, 6h/3d x1) are pledge's default tiers for 30 days.
"""

from __future__ import annotations

from typing import Any, Final

from pledge.importers.common import RAW_APPROXIMATION, TILED, alert_labels, events_sli, sla_document, unknown, validated
from pledge.importers.queries import pledge_name, pledge_window, percent
from pledge.importers.report import Mapping

ALERT_FOR_PLUGIN: Final = "sloth.dev/contrib/alert_for/v1"
SEVERITY_TIERS: Final = {"page": ("page-fast", "page-slow"), "ticket": ("ticket-fast", "ticket-slow")}
_SLO_FIELDS: Final = {"name", "objective", "description", "labels", "sli", "alerting", "plugins"}
_ALERTING_FIELDS: Final = {"name", "labels", "annotations", "page_alert", "pageAlert", "ticket_alert", "ticketAlert"}


def get(document: dict[str, Any], snake: str) -> Any:
    """A field in Sloth's file spelling (``error_query``) or its Kubernetes one (``errorQuery``)."""
    head, *rest = snake.split("_")
    return document.get(snake, document.get(head + "".join(w.title() for w in rest)))


def from_sloth(document: dict[str, Any], source: str) -> list[Mapping]:
    kubernetes = "apiVersion" in document
    spec = document.get("spec", {}) if kubernetes else document
    peer = "Sloth PrometheusServiceLevel" if kubernetes else "Sloth prometheus/v1"
    namespace = str(document.get("metadata", {}).get("namespace", "default")) if kubernetes else "default"
    plugins = [p.get("id") for p in (spec.get("slo_plugins") or {}).get("chain", []) if isinstance(p, dict)]
    mappings = []
    for slo in spec.get("slos") or []:
        mapping = Mapping(source, peer, str(slo.get("name")))
        for plugin in plugins:
            if plugin != ALERT_FOR_PLUGIN:
                mapping.note(f"slo_plugins.{plugin}", "dropped", "a Sloth plugin runs Go code; pledge has no plugins")
        mappings.append(validated(mapping, _slo(mapping, spec, slo, namespace)))
    return mappings


def _slo(mapping: Mapping, spec: dict[str, Any], slo: dict[str, Any], namespace: str) -> dict[str, Any] | None:
    unknown(mapping, "slos[].", slo, _SLO_FIELDS)
    sli = _sli(mapping, slo.get("sli") or {})
    if sli is None:
        return None
    kind, grouping = sli
    labels = {**(spec.get("labels") or {}), **(slo.get("labels") or {})}
    owner = labels.pop("owner", None)
    pledge_spec: dict[str, Any] = {
        "service": pledge_name(str(spec.get("service", "service"))),
        "window": {"rolling": "30d"},
        "grouping": grouping,
        "objectives": [{"name": pledge_name(str(slo.get("name"))), "target": percent(slo.get("objective")),
                        "description": str(slo.get("description", "")), "sli": kind}],
        "alerting": _alerting(mapping, slo.get("alerting") or {}, labels),
    }
    if owner is not None:
        pledge_spec["owner"] = str(owner)
        mapping.note("labels.owner", "exact", "spec.owner: pledge labels recorded series and alerts owner=...")
    mapping.note("objective", "exact", f"target {pledge_spec['objectives'][0]['target']} %")
    mapping.note("period", "exact", "Sloth's default 30d period and its fixed burn windows are pledge's default tiers for 30d")
    if pledge_spec["alerting"]["policy"] != "none":
        mapping.note("windows", "approximated", TILED)
    return sla_document(pledge_name(str(spec.get("service", "")), str(slo.get("name"))), namespace, pledge_spec)


def _sli(mapping: Mapping, sli: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    events, raw = sli.get("events"), sli.get("raw")
    if isinstance(events, dict):
        return events_sli(mapping, "sli.events", str(get(events, "total_query")), errors=str(get(events, "error_query")))
    if isinstance(raw, dict):
        mapping.note("sli.raw", "approximated", f"a pledge raw SLI: {RAW_APPROXIMATION}")
        return {"raw": {"errorRatio": pledge_window(str(get(raw, "error_ratio_query")))}}, []
    mapping.note("sli", "unsupported", "a Sloth SLI plugin (Go code) or no SLI: pledge needs events or raw queries")
    return None


def _alerting(mapping: Mapping, alerting: dict[str, Any], labels: dict[str, Any]) -> dict[str, Any]:
    unknown(mapping, "alerting.", alerting, _ALERTING_FIELDS)
    severities = {s: get(alerting, f"{s}_alert") or {} for s in SEVERITY_TIERS}
    enabled = [s for s, alert in severities.items() if not alert.get("disable")]
    result: dict[str, Any] = {"policy": "sre-workbook" if enabled else "none", "labels": {}, "annotations": {}}
    result["tiers"] = [{"name": t, "enabled": False} for s in SEVERITY_TIERS if s not in enabled
                       for t in SEVERITY_TIERS[s]] if enabled else []
    result["labels"] = alert_labels(mapping, "labels", {**labels, **(alerting.get("labels") or {})})
    if alerting.get("name") and enabled:
        result["labels"]["alert_name"] = str(alerting["name"])
        mapping.note("alerting.name", "approximated",
                     f'pledge names its burn alerts SLAErrorBudgetBurn; label alert_name="{alerting["name"]}" keeps Sloth\'s name')
    result["annotations"], result["runbook"] = _annotations(mapping, alerting.get("annotations") or {})
    own = {severity: _per_severity(mapping, severity, severities[severity]) for severity in SEVERITY_TIERS}
    if any(own.values()):
        result["severities"] = {severity: values for severity, values in own.items() if values}
    return result


def _annotations(mapping: Mapping, annotations: dict[str, Any], where: str = "alerting.annotations",
                 runbook: bool = True) -> tuple[dict[str, str], str | None]:
    """Sloth's annotations as pledge's: summary and description renamed (pledge writes its own), and
    the runbook (``runbook_url`` or ``runbook``) as pledge's runbook when ``runbook``."""
    kept = {str(k): str(v) for k, v in annotations.items()}
    found = (kept.pop("runbook_url", None) or kept.pop("runbook", None)) if runbook else None
    for name in ("summary", "description"):
        if name in kept:
            kept[f"sloth_{name}"] = kept.pop(name)
            mapping.note(f"{where}.{name}", "approximated",
                         f"pledge writes its own {name}; Sloth's is kept as annotation sloth_{name}")
    return kept, found


def _per_severity(mapping: Mapping, severity: str, alert: dict[str, Any]) -> dict[str, Any]:
    """A Sloth severity's own labels and annotations as pledge's ``severities.<severity>``: they reach
    pledge's alerts of that severity (its burn tiers, as Sloth's, and its budget alerts)."""
    where = f"alerting.{severity}_alert"
    unknown(mapping, f"{where}.", alert, {"disable", "for", "labels", "annotations"})
    if alert.get("for") and not alert.get("disable"):
        mapping.note(f"{where}.for", "approximated",
                     f"pledge's burn alerts have no `for`: its {severity} alert fires up to {alert['for']} earlier "
                     "than Sloth's and clears at the same moment")
    labels = dict(alert.get("labels") or {})
    if "severity" in labels:
        mapping.note(f"{where}.labels.severity", "approximated",
                     f'severity="{labels.pop("severity")}" becomes pledge\'s severity="{severity}"')
    kept = alert_labels(mapping, f"{where}.labels", labels)
    annotations, _ = _annotations(mapping, alert.get("annotations") or {}, f"{where}.annotations", runbook=False)
    for kind, values in (("labels", kept), ("annotations", annotations)):
        for name, value in values.items():
            mapping.note(f"{where}.{kind}.{name}", "exact", f'on pledge\'s {severity} alerts: severities.{severity}.{kind}')
    return {k: v for k, v in (("labels", kept), ("annotations", annotations)) if v}
