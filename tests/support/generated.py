"""The SLAs whose generated rules the unit tests inspect (every example and a synthetic set covering
each SLI kind, window and exclusion form), and their rules by kind."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import Any

import promql_parser

from pledge.rules import generate
from pledge.rules.model import Rule, RuleGroup
from pledge.sla import parse_yaml
from pledge.sla.model import ServiceLevelAgreement
from tests.support.slas import with_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FILES = sorted((ROOT / "examples").glob("*.yaml"))
IDENTITY = ("sla", "sla_namespace", "objective")
RAW_RANGE_LIMIT = dt.timedelta(hours=1)
TILES = ("pledge:sli_errors:increase5m", "pledge:sli_requests:increase5m")  # (errors, requests) 5 m tiles
HOUR_TILES = ("pledge:sli_errors:increase1h", "pledge:sli_requests:increase1h")
TILE_STEP = {**dict.fromkeys(TILES, dt.timedelta(minutes=5)), **dict.fromkeys(HOUR_TILES, dt.timedelta(hours=1))}
PERIOD_EVENTS = ("pledge:sli_errors:period_increase", "pledge:sli_requests:period_increase")
MAX_SAMPLES = 10_000  # promtool's rule tests refuse a query over more samples per series


RATIO = {"ratio": {"errors": 'http_requests_total{job="api",code=~"5.."}', "total": 'http_requests_total{job="api"}'}}

SYNTHETIC: dict[str, dict[str, Any]] = {
    # calendar week in New York, good/total, two grouping labels, a daily exclusion, custom tiers
    "weekly-good": {
        "service": "api", "customer": "globex", "window": {"calendar": "week", "timezone": "America/New_York"},
        "grouping": ["customer", "region"],
        "objectives": [{"name": "availability", "target": "99.95", "warning": "99.99",
                        "sli": {"ratio": {"good": 'http_requests_total{job="api",code!~"5.."}',
                                          "total": 'http_requests_total{job="api"}'}}}],
        "alerting": {"runbook": "https://runbooks.example/api", "tiers": [
            {"name": "ticket-slow", "enabled": False},
            {"name": "page-instant", "severity": "page", "longWindow": "10m", "budgetConsumed": "1"}]},
        "exclusions": [{"schedule": "daily", "at": "03:30", "duration": "30m", "timezone": "America/New_York"}],
    },
    # calendar quarter, latency without selector, grouped
    "quarterly-latency": {
        "service": "rpc", "window": {"calendar": "quarter", "timezone": "Asia/Kolkata"}, "grouping": ["customer"],
        "objectives": [{"name": "latency", "target": "95", "sli": {"latency": {
            "histogram": "rpc_duration_seconds", "threshold": 0.25, "buckets": [0.1, 0.25, 0.5]}}}],
    },
    # raw SLI with grouping over 90 days, an absolute exclusion
    "raw-grouped": {
        "service": "batch", "window": {"rolling": "90d"}, "grouping": ["pipeline"],
        "objectives": [{"name": "success", "target": "98.5",
                        "sli": {"raw": {"errorRatio": "1 - avg_over_time(job_success{kind=\"batch\"}[{{window}}])"}}}],
        "exclusions": [{"start": "2026-02-01T00:00:00Z", "end": "2026-02-01T06:00:00Z", "reason": "migration"}],
    },
    # bool gauge grouped by instance, alerting off, no absent alert
    "probes-quiet": {
        "service": "dns", "window": {"rolling": "7d"}, "grouping": ["instance"],
        "objectives": [{"name": "up", "target": "99", "sli": {"boolGauge": {"metric": 'probe_success{job="dns"}'}}}],
        "alerting": {"policy": "none", "absent": False},
    },
    # two objectives and one of every exclusion form, rolling 28d, no grouping
    "two-objectives": {
        "service": "shop", "tier": "silver", "owner": "team-shop", "window": {"rolling": "28d"},
        "objectives": [
            {"name": "availability", "target": "99.9", "sli": RATIO},
            {"name": "latency", "target": "99", "warning": "99.5", "sli": {"latency": {
                "histogram": "http_request_duration_seconds", "selector": '{job="api"}', "threshold": 1}}},
        ],
        "alerting": {"labels": {"team": "shop"}, "absent": True, "absentFor": "20m",
                     "breachPrediction": {"enabled": True, "minProbability": "0.925", "for": "30m", "severity": "page"}},
        "exclusions": [
            {"start": "2026-11-01T02:00:00Z", "end": "2026-11-01T04:00:00Z"},
            {"schedule": "weekly", "day": "saturday", "at": "23:00", "duration": "2h", "timezone": "Europe/Berlin"},
        ],
    },
}


@cache
def all_slas() -> dict[str, ServiceLevelAgreement]:
    slas = {p.stem: parse_yaml(p.read_text())[0] for p in EXAMPLE_FILES}
    slas.update({name: with_spec(name, spec) for name, spec in SYNTHETIC.items()})
    return slas


@cache
def groups_of(name: str) -> list[RuleGroup]:
    return generate(all_slas()[name])


ALL = [p.stem for p in EXAMPLE_FILES] + list(SYNTHETIC)
GROUPED = [n for n in ALL if n in ("checkout-grouped", "weekly-good", "quarterly-latency", "raw-grouped", "probes-quiet")]


def rules_of(name: str) -> list[Rule]:
    return [r for g in groups_of(name) for r in g.rules]


def records_of(name: str) -> list[Rule]:
    return [r for r in rules_of(name) if r.record]


def alerts_of(name: str, alert: str | None = None) -> list[Rule]:
    return [r for r in rules_of(name) if r.alert and (alert is None or r.alert == alert)]


def fastest_first(burns: list[Rule]) -> list[Rule]:
    """Burn alerts by burn rate, highest first (the tiers' order): tiers on tiles alone sit in -tiles, which
    comes before -alerts."""
    return sorted(burns, key=lambda r: -float(r.labels["burn_rate"]))


def burn_tier(rule: Rule) -> str:
    """The burn-rate tier (page-fast, ...) of an SLAErrorBudgetBurn alert: `burn_tier`, or `tier` if unset."""
    return rule.labels.get("burn_tier") or rule.labels["tier"]


SLI_RECORDS = re.compile(r"pledge:sli_(requests|error_ratio):rate[0-9a-z]+")


def window_of(record: str) -> dt.timedelta:
    return promql_parser.parse_duration(record.rsplit(":rate", 1)[1])


def duration(delta: dt.timedelta) -> str:
    seconds, text = int(delta.total_seconds()), ""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if seconds >= size:
            text += f"{seconds // size}{unit}"
            seconds %= size
    return text


