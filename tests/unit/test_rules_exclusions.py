"""Maintenance in generated rules: the 5 m tiles and the burn and absent alerts are masked, and held
for the windows that saw the maintenance."""

from __future__ import annotations

import datetime as dt
import re

import promql_parser
import pytest

from tests.support.generated import (
    ALL,
    RAW_RANGE_LIMIT,
    TILES,
    alerts_of,
    all_slas,
    burn_tier,
    records_of,
    rules_of,
)
from tests.support.promql import ast_of, metric_of, nodes, reads_pledge_series, strip


# --- (11) exclusions -------------------------------------------------------------------------------------


def _is_masked(expr: str) -> bool:
    top = strip(ast_of(expr))
    if not (isinstance(top, promql_parser.BinaryExpr) and str(top.op) == "unless"):
        return False
    matching = top.modifier.matching if top.modifier else None
    return (matching is not None and matching.type == promql_parser.LabelModifierType.Include
            and matching.labels == [] and not reads_pledge_series(top.rhs)
            and not any(metric_of(n) for n in nodes(top.rhs) if isinstance(n, promql_parser.VectorSelector)))


MASKED_ALERTS = ("SLAErrorBudgetBurn", "SLAMetricAbsent")


@pytest.mark.parametrize("name", ALL)
def test_exclusions_mask_tiles_and_burn_alerts(name: str) -> None:
    """Maintenance drops the 5 m tiles (so every long window and the period leave it out) and silences the
    burn and absent alerts; nothing else is masked: the rest reads the masked tiles."""
    sla = all_slas()[name]
    tiles = [r for r in records_of(name) if r.record in TILES]
    alerts = [r for r in alerts_of(name) if r.alert in MASKED_ALERTS]
    assert len(tiles) == 2 * len(sla.spec.objectives)
    others = [r for r in rules_of(name) if r not in tiles and r not in alerts]
    assert not any(_is_masked(r.expr) or "unless on()" in r.expr for r in others)
    if sla.spec.exclusions:
        assert all(_is_masked(r.expr) for r in tiles + alerts)
        assert all("unless on()" in r.expr for r in tiles + alerts)
    else:
        assert not any(_is_masked(r.expr) for r in tiles + alerts)
        assert not any("unless on()" in r.expr for r in rules_of(name))


def test_absolute_exclusion_is_held_for_the_windows_that_saw_it() -> None:
    """A 5 m tile touching maintenance is dropped whole: the mask holds 5 minutes after it ends. A burn alert
    with a raw window (<= 1h) stays silent until that window is past maintenance; one on tiles only needs
    no extension (its tiles are masked already)."""
    end = int(dt.datetime(2026, 11, 1, 4, tzinfo=dt.timezone.utc).timestamp())
    for tile in (r for r in records_of("two-objectives") if r.record in TILES):
        assert f"< {end + 300})" in tile.expr
    for absent in alerts_of("two-objectives", "SLAMetricAbsent"):
        assert f"< {end + 300})" in absent.expr
    burns = {burn_tier(r): r for r in alerts_of("two-objectives", "SLAErrorBudgetBurn") if r.labels["objective"] == "latency"}
    assert (burns["page-fast"].labels["long_window"], burns["page-fast"].labels["short_window"]) == ("56m", "5m")
    assert f"< {end + 56 * 60})" in burns["page-fast"].expr
    assert burns["page-slow"].labels["short_window"] == "28m" and f"< {end + 28 * 60})" in burns["page-slow"].expr
    for tier in ("ticket-fast", "ticket-slow"):
        windows = [promql_parser.parse_duration(burns[tier].labels[k]) for k in ("long_window", "short_window")]
        assert min(windows) > RAW_RANGE_LIMIT and f"< {end})" in burns[tier].expr


def test_recurring_exclusion_is_held_for_the_windows_that_saw_it() -> None:
    """The daily 30 min window of weekly-good: tiles and the absent alert held 5 min longer, burn alerts by
    their raw window."""
    for rule in rules_of("weekly-good"):
        held = [int(n) for n in re.findall(r"% 86400 < (\d+)\)", rule.expr)]
        if rule.record in TILES or rule.alert == "SLAMetricAbsent":
            assert held == [1800 + 300], rule.name
        elif rule.alert == "SLAErrorBudgetBurn":
            raw = [promql_parser.parse_duration(rule.labels[k]) for k in ("long_window", "short_window")]
            reach = max((w for w in raw if w <= RAW_RANGE_LIMIT), default=dt.timedelta())
            assert held == [1800 + int(reach.total_seconds())], rule.name
        else:
            assert held == [], rule.name
