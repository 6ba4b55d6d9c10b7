"""OpenSLO v1 (SLO, SLI, AlertPolicy, AlertCondition, DataSource) and v1alpha SLOs.

Only Prometheus queries can become pledge SLIs; Occurrences budgeting is pledge's, Timeslices is
not. A document pledge exported (pledge.importers.export) carries pledge's own fields in
``pledge.dev/`` annotations, read back first so the round trip is exact.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Final

from pledge.importers.common import RAW_APPROXIMATION, events_sli, sla_document, unknown, validated
from pledge.importers.queries import parse_selector, pledge_name, pledge_window, percent, ratio_percent
from pledge.importers.report import Mapping
from pledge.sla.duration import format_duration, parse_duration
from pledge.sla.promql import WINDOW_PLACEHOLDER, check_selector
from pledge.sla.tiers import NOMINAL_CALENDAR

PREFIX: Final = "pledge.dev/"
CALENDARS: Final = {"1w": "week", "1M": "month", "1Q": "quarter"}
V1ALPHA_UNITS: Final = {"Day": "d", "Week": "w", "Month": "M", "Quarter": "Q", "Year": "Y"}
PAGE_SEVERITIES: Final = {"page", "critical", "high"}
_SLO_FIELDS: Final = {"service", "description", "indicator", "indicatorRef", "timeWindow", "timeWindows",
                      "budgetingMethod", "objectives", "alertPolicies"}

Index = dict[tuple[str, str], dict[str, Any]]  # (kind, name) -> document


def index(documents: list[dict[str, Any]]) -> Index:
    """Every named OpenSLO object, for indicatorRef, alertPolicyRef, conditionRef, metricSourceRef."""
    return {(str(d.get("kind")), str((d.get("metadata") or {}).get("name"))): d for d in documents}


def from_openslo(document: dict[str, Any], source: str, objects: Index) -> list[Mapping]:
    metadata, spec = document.get("metadata") or {}, document.get("spec") or {}
    name = str(metadata.get("name", "slo"))
    mapping = Mapping(source, f"OpenSLO SLO ({document.get('apiVersion')})", name)
    unknown(mapping, "spec.", spec, _SLO_FIELDS)
    extensions = {k.removeprefix(PREFIX): v for k, v in (metadata.get("annotations") or {}).items() if k.startswith(PREFIX)}
    method = spec.get("budgetingMethod", "Occurrences")
    if method != "Occurrences":
        mapping.note("budgetingMethod", "unsupported",
                     f"{method}: pledge counts events (Occurrences); good/bad time slices are not supported")
        return [validated(mapping, None)]
    mapping.note("budgetingMethod", "exact", "Occurrences: good events over valid events, as pledge counts")
    window = _window(mapping, spec)
    objectives = _objectives(mapping, spec, objects, extensions)
    if window is None or objectives is None:
        return [validated(mapping, None)]
    pledge_spec: dict[str, Any] = {"service": pledge_name(str(spec.get("service", name))), "window": window,
                                   "objectives": objectives[0], "grouping": objectives[1],
                                   "alerting": _alerting(mapping, spec, objects, window, extensions)}
    namespace, sla = str(extensions.get("sla", f"default/{pledge_name(name)}")).split("/", 1)
    return [validated(mapping, sla_document(sla, namespace, _extended(pledge_spec, extensions)))]


def _extended(spec: dict[str, Any], extensions: dict[str, Any]) -> dict[str, Any]:
    """pledge's own fields, as pledge.importers.export wrote them (JSON in annotations)."""
    for field in ("customer", "tier", "owner", "description", "creditCap"):
        if field in extensions:
            spec[field] = extensions[field]
    for field in ("credits", "exclusions", "grouping", "alerting"):
        if field in extensions:
            spec[field] = json.loads(extensions[field])
    return spec


def _window(mapping: Mapping, spec: dict[str, Any]) -> dict[str, Any] | None:
    windows = spec.get("timeWindow") or [_v1alpha_window(w) for w in spec.get("timeWindows") or []]
    if len(windows) != 1:
        mapping.note("timeWindow", "unsupported", f"pledge needs exactly one time window, got {len(windows)}")
        return None
    window = windows[0]
    duration = str(window.get("duration", ""))
    if window.get("isRolling", True) is not False:
        try:
            rolling = format_duration(parse_duration(duration))
        except ValueError:
            mapping.note("timeWindow.duration", "unsupported", f'rolling "{duration}": pledge takes d, h, m, w units')
            return None
        mapping.note("timeWindow", "exact", f"rolling {rolling}")
        return {"rolling": rolling}
    return _calendar(mapping, duration, window.get("calendar") or {})


def _v1alpha_window(window: dict[str, Any]) -> dict[str, Any]:
    unit = V1ALPHA_UNITS.get(str(window.get("unit")), str(window.get("unit")))
    return {"duration": f"{window.get('count')}{unit}", "isRolling": window.get("isRolling", True),
            "calendar": window.get("calendar")}


def _calendar(mapping: Mapping, duration: str, calendar: dict[str, Any]) -> dict[str, Any] | None:
    period = CALENDARS.get(duration)
    if period is None:
        mapping.note("timeWindow", "unsupported", f'calendar "{duration}": pledge has calendar 1w, 1M and 1Q')
        return None
    zone = str(calendar.get("timeZone", "UTC"))
    start = str(calendar.get("startTime", ""))
    if start and not _at_boundary(start, period):
        mapping.note("timeWindow.calendar.startTime", "approximated",
                     f"{start}: pledge's {period}s start at each {period}'s first day (weeks on Monday) at 00:00")
    mapping.note("timeWindow", "exact", f"calendar {period} in {zone} (a nominal {NOMINAL_CALENDAR[period] // 86400}d for burn rates)")
    return {"calendar": period, "timezone": zone}


def _at_boundary(start: str, period: str) -> bool:
    try:
        moment = dt.datetime.fromisoformat(start)
    except ValueError:
        return False
    if moment.time() != dt.time(0):
        return False
    if period == "week":
        return moment.weekday() == 0
    return moment.day == 1 and (period == "month" or moment.month in (1, 4, 7, 10))


def _objectives(mapping: Mapping, spec: dict[str, Any], objects: Index,
                extensions: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]] | None:
    slo_sli = _indicator_spec(spec, objects)
    result, grouping = [], []
    for index_, objective in enumerate(spec.get("objectives") or []):
        where = f"objectives[{index_}]"
        own = objective.get("ratioMetrics") or objective.get("ratioMetric")
        sli = _sli(mapping, where, {"ratioMetric": own} if own else slo_sli, objective, objects, extensions)
        if sli is None:
            return None
        name = objective.get("name") or objective.get("displayName") or f"objective-{index_ + 1}"
        target = percent(objective["targetPercent"]) if "targetPercent" in objective else ratio_percent(objective.get("target"))
        pledge_objective = {"name": pledge_name(str(name)), "target": target, "sli": sli[0]}
        if "warning" in extensions:
            pledge_objective["warning"] = extensions["warning"]
        if spec.get("description"):
            pledge_objective["description"] = str(spec["description"])
        result.append(pledge_objective)
        grouping = sli[1]
    if not result:
        mapping.note("objectives", "unsupported", "no objectives")
        return None
    return result, grouping


def _indicator_spec(spec: dict[str, Any], objects: Index) -> dict[str, Any]:
    if "indicator" in spec:
        return dict((spec["indicator"] or {}).get("spec") or {})
    referred = objects.get(("SLI", str(spec.get("indicatorRef"))))
    return dict((referred or {}).get("spec") or {})


def _sli(mapping: Mapping, where: str, indicator: dict[str, Any], objective: dict[str, Any], objects: Index,
         extensions: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    if "sli" in extensions:
        mapping.note(f"{where}.indicator", "exact", "pledge's own SLI, from its pledge.dev/sli annotation")
        return json.loads(extensions["sli"]), []
    ratio, threshold = indicator.get("ratioMetric"), indicator.get("thresholdMetric")
    if ratio is not None:
        return _ratio(mapping, f"{where}.ratioMetric", ratio, objects)
    if threshold is not None:
        return _threshold(mapping, f"{where}.thresholdMetric", threshold, objective, objects)
    mapping.note(f"{where}.indicator", "unsupported", "no ratioMetric or thresholdMetric")
    return None


def _query(mapping: Mapping, where: str, metric: dict[str, Any] | None, objects: Index) -> str | None:
    """The Prometheus query of a v1 metricSource (its type possibly from a DataSource) or a v1alpha metric."""
    metric = metric or {}
    source = metric.get("metricSource") or metric
    kind = source.get("type") or source.get("source")
    if kind is None and source.get("metricSourceRef"):
        kind = ((objects.get(("DataSource", str(source["metricSourceRef"]))) or {}).get("spec") or {}).get("type")
    query = (source.get("spec") or {}).get("query") if "spec" in source else source.get("query")
    if str(kind).lower() != "prometheus" or not isinstance(query, str):
        mapping.note(where, "unsupported", f"metric source type {kind}: pledge reads Prometheus queries only")
        return None
    return query


def _ratio(mapping: Mapping, where: str, ratio: dict[str, Any], objects: Index) -> tuple[dict[str, Any], list[str]] | None:
    if "raw" in ratio:
        query = _query(mapping, f"{where}.raw", ratio["raw"], objects)
        if query is None:
            return None
        return _raw(mapping, where, pledge_window(query), ratio.get("rawType", "failure"))
    side = "bad" if "bad" in ratio else "good"
    numerator = _query(mapping, f"{where}.{side}", ratio.get(side), objects)
    total = _query(mapping, f"{where}.total", ratio.get("total"), objects)
    if numerator is None or total is None:
        return None
    if _plain(numerator) and _plain(total) and ratio.get("counter", True):
        mapping.note(where, "exact", f"counters: a pledge ratio SLI ({'errors' if side == 'bad' else 'good'}/total)")
        return {"ratio": {"errors" if side == "bad" else "good": numerator.strip(), "total": total.strip()}}, []
    return events_sli(mapping, where, total, **{"errors" if side == "bad" else "good": numerator})


def _plain(query: str) -> bool:
    try:
        check_selector(query)
    except ValueError:
        return False
    return True


def _raw(mapping: Mapping, where: str, query: str, raw_type: str) -> tuple[dict[str, Any], list[str]] | None:
    if WINDOW_PLACEHOLDER not in query:
        mapping.note(f"{where}.raw", "unsupported", "a raw ratio without a {{window}} placeholder: pledge cannot place its windows")
        return None
    mapping.note(f"{where}.raw", "approximated", f"a pledge raw SLI: {RAW_APPROXIMATION}")
    return {"raw": {"errorRatio": query if raw_type == "failure" else f"1 - ({query})"}}, []


def _threshold(mapping: Mapping, where: str, threshold: dict[str, Any], objective: dict[str, Any],
               objects: Index) -> tuple[dict[str, Any], list[str]] | None:
    """A threshold on a classic histogram (``x_bucket``): the share of requests at most ``value``."""
    query = _query(mapping, where, threshold, objects)
    if query is None:
        return None
    selector = parse_selector(query)
    if selector is None or objective.get("op") not in ("lt", "lte") or "value" not in objective:
        mapping.note(where, "unsupported", "pledge reads a threshold only as a classic histogram's bucket (op lt/lte, value)")
        return None
    mapping.note(where, "approximated", f"requests at most {objective['value']} (the le bucket, in the histogram's "
                 "unit) instead of samples of the metric below the value")
    return {"latency": {"histogram": selector.name.removesuffix("_bucket"), "selector": selector.text("le"),
                        "threshold": float(objective["value"])}}, []


def _alerting(mapping: Mapping, spec: dict[str, Any], objects: Index, window: dict[str, Any],
              extensions: dict[str, Any]) -> dict[str, Any]:
    if "alerting" in extensions:
        mapping.note("alertPolicies", "exact", "pledge's own tiers, from its pledge.dev/alerting annotation")
        return {}
    policies = [_resolve(p, "AlertPolicy", "alertPolicyRef", objects) for p in spec.get("alertPolicies") or []]
    if "timeWindows" in spec and not policies:
        mapping.note("alertPolicies", "approximated", "v1alpha declares no alerts: pledge's default burn-rate tiers are added")
        return {}
    tiers = [_tier(mapping, _resolve(c, "AlertCondition", "conditionRef", objects), window) for p in policies
             for c in ((p.get("spec") or {}).get("conditions") or [])]
    if not policies:
        mapping.note("alertPolicies", "exact", "no alert policy: no burn-rate alerts (policy none)")
    return {"policy": "none", "tiers": [t for t in tiers if t is not None]}


def _resolve(item: Any, kind: str, ref: str, objects: Index) -> dict[str, Any]:
    if isinstance(item, str):
        return objects.get((kind, item)) or {}
    if isinstance(item, dict) and ref in item:
        return objects.get((kind, str(item[ref]))) or {}
    return item if isinstance(item, dict) else {}


def _tier(mapping: Mapping, condition: Any, window: dict[str, Any]) -> dict[str, Any] | None:
    """A burnrate AlertCondition: threshold x lookbackWindow / period is the budget share it spends."""
    spec = condition.get("spec") or {}
    name = pledge_name(str((condition.get("metadata") or {}).get("name", "condition")))
    rule = spec.get("condition") or {}
    if rule.get("kind") != "burnrate":
        mapping.note(f"alertPolicies.{name}", "dropped", f"condition kind {rule.get('kind')}: pledge alerts on burn rates")
        return None
    long = parse_duration(str(rule.get("lookbackWindow")))
    period = parse_duration(window["rolling"]) if "rolling" in window else NOMINAL_CALENDAR[window["calendar"]]
    share = (_decimal(rule.get("threshold")) * long / period * 100).normalize()
    severity = "page" if str(spec.get("severity", "")).lower() in PAGE_SEVERITIES else "ticket"
    mapping.note(f"alertPolicies.{name}", "approximated",
                 f"burn rate {rule.get('threshold')} over {format_duration(long)} ({severity}); OpenSLO's condition has one "
                 f"window, pledge adds a short one (long / 12) that resets the alert"
                 + (f"; alertAfter {rule['alertAfter']} has no pledge equivalent (no `for`)" if rule.get("alertAfter") else ""))
    return {"name": name, "severity": severity, "longWindow": format_duration(long),
            "budgetConsumed": format(round(share, 12), "f").rstrip("0").rstrip(".")}


def _decimal(value: Any) -> Decimal:
    return Decimal(repr(value) if isinstance(value, float) else str(value))
