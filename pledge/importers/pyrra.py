"""Pyrra: the ``pyrra.dev/v1alpha1`` ServiceLevelObjective resource.

Pyrra scales four burn-rate alerts with the SLO window (1h/5m x14, 6h/30m x7, 1d/2h x2, 4d/6h x1
for 28 days) and holds each for a ``for`` duration; pledge takes the same windows and burn rates as
tiers of the SLA, and has no ``for``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from pledge.importers.common import TILED, alert_labels, sla_document, unknown, validated
from pledge.importers.queries import histogram, pledge_name, percent
from pledge.importers.report import Mapping
from pledge.sla.duration import format_duration, parse_duration
from pledge.slo.windows import burn_rate

DAYS_28: Final = 28 * 24
LABEL_PREFIX: Final = "pyrra.dev/"
_SPEC_FIELDS: Final = {"target", "window", "description", "indicator", "alerting", "serviceLevelObjective"}


@dataclass(frozen=True)
class PyrraWindow:
    """One of Pyrra's alerts for a window: divisors of the window as Pyrra's Windows() has them."""

    name: str
    severity: str
    long: int
    short: int
    hold: int
    factor: int


def _round_minute(seconds: float) -> int:
    """Go's Duration.Round(time.Minute): to the nearest minute, halves away from zero."""
    return int(seconds // 60 + (1 if seconds % 60 >= 30 else 0)) * 60


def windows(window: int) -> list[PyrraWindow]:
    """Pyrra's burn-rate windows for an SLO window (slo/rules.go Windows)."""
    table = (("page-fast", "page", DAYS_28, DAYS_28 * 12, DAYS_28 * 30, 14),
             ("page-slow", "page", 28 * 4, DAYS_28 * 2, DAYS_28 * 4, 7),
             ("ticket-fast", "ticket", 28, 28 * 12, DAYS_28, 2),
             ("ticket-slow", "ticket", 7, 28 * 4, 28 * 8, 1))
    return [PyrraWindow(name, severity, _round_minute(window / long), _round_minute(window / short),
                        _round_minute(window / hold), factor)
            for name, severity, long, short, hold, factor in table]


def from_pyrra(document: dict[str, Any], source: str) -> list[Mapping]:
    metadata, spec = document.get("metadata") or {}, document.get("spec") or {}
    name = str(metadata.get("name", "slo"))
    mapping = Mapping(source, "Pyrra ServiceLevelObjective", name)
    unknown(mapping, "spec.", spec, _SPEC_FIELDS)
    indicator = _indicator(mapping, spec.get("indicator") or {})
    if indicator is None:
        return [validated(mapping, None)]
    sli, grouping = indicator
    window = parse_duration(str(spec.get("window", "28d")))
    mapping.note("window", "exact", f"rolling {format_duration(window)}")
    target = percent(spec.get("target"))
    pledge_spec: dict[str, Any] = {
        "service": pledge_name(name),
        "window": {"rolling": format_duration(window)},
        "grouping": grouping,
        "objectives": [{"name": "objective", "target": target,
                        "description": str(spec.get("description") or ""), "sli": sli}],
        "alerting": _alerting(mapping, spec.get("alerting") or {}, metadata.get("labels") or {}, window),
    }
    mapping.note("target", "exact", f"{target} %")
    return [validated(mapping, sla_document(pledge_name(name), str(metadata.get("namespace", "default")), pledge_spec))]


def _indicator(mapping: Mapping, indicator: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    if "ratio" in indicator:
        ratio = indicator["ratio"]
        mapping.note("indicator.ratio", "exact", "a pledge ratio SLI (errors/total)")
        return ({"ratio": {"errors": ratio["errors"]["metric"], "total": ratio["total"]["metric"]}},
                list(ratio.get("grouping") or []))
    if "latency" in indicator:
        latency = indicator["latency"]
        read = histogram(latency["success"]["metric"], latency["total"]["metric"])
        if isinstance(read, str):
            mapping.note("indicator.latency", "unsupported", read)
            return None
        mapping.note("indicator.latency", "exact", f"a pledge latency SLI: {read.histogram} faster than {read.threshold:g}s")
        return ({"latency": {"histogram": read.histogram, "selector": read.selector, "threshold": read.threshold}},
                list(latency.get("grouping") or []))
    if "latencyNative" in indicator:
        return _native(mapping, indicator["latencyNative"])
    if "bool_gauge" in indicator:
        gauge = indicator["bool_gauge"]
        mapping.note("indicator.bool_gauge", "exact", "a pledge boolGauge SLI: the share of samples at 1")
        return {"boolGauge": {"metric": gauge["metric"]}}, list(gauge.get("grouping") or [])
    mapping.note("indicator", "unsupported", f"no indicator pledge reads (got {', '.join(indicator) or 'none'})")
    return None


def _native(mapping: Mapping, native: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A native histogram has no le buckets: histogram_fraction() in a raw SLI expresses it."""
    grouping = list(native.get("grouping") or [])
    threshold = parse_duration(str(native["latency"])) if not str(native["latency"]).endswith("ms") \
        else Decimal(str(native["latency"])[:-2]) / 1000
    by = f"by ({', '.join(grouping)}) " if grouping else ""
    rate = f"sum {by}(rate({native['total']['metric']}[{{{{window}}}}]))"
    mapping.note("indicator.latencyNative", "approximated",
                 "a raw SLI, 1 - histogram_fraction(0, threshold, rate): windows longer than 1h average the 5m "
                 "ratio over time, and histogram_fraction interpolates inside the bucket holding the threshold")
    return {"raw": {"errorRatio": f"1 - histogram_fraction(0, {threshold}, {rate})"}}, grouping


def _alerting(mapping: Mapping, alerting: dict[str, Any], labels: dict[str, Any], window: int) -> dict[str, Any]:
    unknown(mapping, "spec.alerting.", alerting, {"name", "disabled", "burnrates", "absent", "burnRateType"})
    kept = alert_labels(mapping, "metadata.labels", {k.removeprefix(LABEL_PREFIX): v for k, v in labels.items()
                                                   if k.startswith(LABEL_PREFIX)})
    for other in sorted(k for k in labels if not k.startswith(LABEL_PREFIX)):
        mapping.note(f"metadata.labels.{other}", "approximated",
                     f"labels the PrometheusRule object: pass it to `pledge generate --format prometheusrule --label {other}=...`")
    result: dict[str, Any] = {"labels": kept, "absent": bool(alerting.get("absent", True))}
    if alerting.get("disabled") or alerting.get("burnrates") is False:
        mapping.note("alerting", "exact", "burn-rate alerts disabled: policy none")
        return {**result, "policy": "none"}
    if alerting.get("burnRateType") == "dynamic":
        mapping.note("alerting.burnRateType", "approximated",
                     "dynamic burn rates (thresholds scaled by recent traffic) become Pyrra's static factors")
    if alerting.get("name"):
        kept["alert_name"] = str(alerting["name"])
    mapping.note("alerting.name", "approximated", f"pledge names its burn alerts SLAErrorBudgetBurn; Pyrra's is "
                 f"{alerting.get('name', 'ErrorBudgetBurn')}" + (" (kept as label alert_name)" if alerting.get("name") else ""))
    mapping.note("windows", "approximated", TILED)
    return {**result, "tiers": [_tier(mapping, w, window) for w in windows(window)]}


def _tier(mapping: Mapping, pyrra: PyrraWindow, window: int) -> dict[str, Any]:
    """Pyrra's factor as pledge's budget share: factor x long / window, to 12 significant digits."""
    share = (Decimal(pyrra.factor) * pyrra.long / window * 100).normalize()
    share = round(share, 12 - share.adjusted() - 1).normalize()
    rate = burn_rate(share / 100, window, pyrra.long)
    long, short, hold = (format_duration(s) for s in (pyrra.long, pyrra.short, pyrra.hold))
    same = abs(rate - pyrra.factor) <= Decimal("1e-9") * pyrra.factor
    mapping.note(f"alerting.{pyrra.severity}({long}/{short})", "exact" if same else "approximated",
                 f"burn rate {pyrra.factor} over {long} and {short}" + ("" if same else f" becomes {rate}"))
    mapping.note(f"alerting.{pyrra.severity}({long}/{short}).for", "approximated",
                 f"pledge's burn alerts have no `for`: this one fires {hold} earlier than Pyrra's and clears at the same moment")
    return {"name": pyrra.name, "severity": pyrra.severity, "longWindow": long, "shortWindow": short,
            "budgetConsumed": format(share, "f")}
