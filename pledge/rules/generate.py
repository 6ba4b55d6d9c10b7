"""SLA -> Prometheus rule groups. Pure: the operator, the CLI and the tests all call ``generate``.

Three groups per SLA:
- ``sli`` (every 30 s): windows up to 1 h straight from the raw counters (exact, and quick to page):
  valid events per second and the error ratio.
- ``tiles`` (every 5 m): 5 m and hour tiles of events (pledge.rules.tiles), masked during
  maintenance; windows longer than 1 h and the period summed from them; budget remaining, metadata;
  the budget and absent-data alerts, and the burn-rate alerts of tiers whose two windows are both on
  tiles: none of them can change between two evaluations of this group.
- ``alerts`` (every 30 s): the burn-rate alerts that read a raw window, and (opt-in) a predicted
  breach from the API's forecast gauge.
"""

from __future__ import annotations

from functools import lru_cache

from pledge.rules import names
from pledge.rules.calendar import calendar_period_rules, tagged_hour_tiles
from pledge.rules.context import Context
from pledge.rules.corrections import corrected, correction_parts
from pledge.rules.model import Rule, RuleGroup
from pledge.rules.promql import any_of, by, in_interval, in_recurrence, on_groups, selector, sli_rates, sli_tile
from pledge.rules.templates import literal
from pledge.rules.tiles import ERRORS, REQUESTS, SLI_INTERVAL, TILE, Kind, tile_of_hour, window_sum
from pledge.slo.exclusions import recurrence
from pledge.slo.numbers import render_number
from pledge.slo.windows import AlertWindows, distinct_windows
from pledge.sla.tiers import period_seconds
from pledge.sla.duration import format_duration
from pledge.sla.model import Exclusion, ServiceLevelAgreement
from pledge.sla.percent import budget_ratio, format_percent, percent_to_ratio
from pledge.sla.units import DAY

ABSENT_LOOKBACK = DAY
FRESH = 2 * TILE  # how far back an alert looks for a series the tiles group records every 5 m


def generate(sla: ServiceLevelAgreement) -> list[RuleGroup]:
    """Every rule group for ``sla``, in a stable order."""
    contexts = [Context(sla, o) for o in sla.spec.objectives]
    prefix = f"pledge-{sla.metadata.namespace}-{sla.metadata.name}"
    groups = [
        RuleGroup(f"{prefix}-sli", SLI_INTERVAL, tuple(r for c in contexts for r in sli_rules(c))),
        RuleGroup(f"{prefix}-tiles", TILE, tuple(r for c in contexts for r in tile_rules(c))),
        RuleGroup(f"{prefix}-alerts", SLI_INTERVAL, tuple(r for c in contexts for r in alert_rules(c))),
    ]
    return [g for g in groups if g.rules]


@lru_cache(maxsize=1024)
def maintenance(exclusions: tuple[Exclusion, ...], extend: int = 0) -> str | None:
    """A PromQL condition that is non-empty during maintenance (and ``extend`` seconds after)."""
    conditions = []
    for exclusion in exclusions:
        if exclusion.schedule is None:
            assert exclusion.start is not None and exclusion.end is not None
            conditions.append(in_interval(exclusion.start.timestamp(), exclusion.end.timestamp() + extend))
        else:
            conditions.append(in_recurrence(recurrence(exclusion), extend))
    return any_of(conditions) if conditions else None


def _unless_maintenance(expr: str, exclusions: list[Exclusion], extend: int = 0) -> str:
    condition = maintenance(tuple(exclusions), extend)
    return f"({expr}) unless on() ({condition})" if condition else expr


def sli_rules(c: Context) -> list[Rule]:
    """Valid events per second and the error ratio of every window up to 1 h, from the counters;
    the bad side reads the recorded valid events, so no rule reads the total twice."""
    rules = []
    for window in sorted({names.BASE_WINDOW, *(w for w in distinct_windows(c.tiers) if w <= names.RAW_WINDOW_LIMIT)}):
        requests = c.series(names.requests_rate(window))
        errors, valid = sli_rates(c.objective.sli, window, c.grouping, total=requests)
        rules += [c.record(names.requests_rate(window), valid),
                  c.record(names.error_ratio(window), f"{errors} / {on_groups(c.grouping)} ({requests} > 0)")]
    return rules


def _tiles(c: Context) -> list[Rule]:
    """5 m tiles masked during maintenance (a tile touching it is dropped whole), then hour tiles."""
    requests = c.series(names.REQUESTS_TILE)
    errors, valid = sli_tile(c.objective.sli, TILE, c.grouping, total=requests)
    exclusions = c.sla.spec.exclusions
    rules = [c.record(names.REQUESTS_TILE, _unless_maintenance(valid, exclusions, TILE)),
             c.record(names.ERRORS_TILE, _unless_maintenance(errors, exclusions, TILE))]
    for tile, hour_tile in (ERRORS, REQUESTS):
        if c.sla.spec.window.calendar is None:
            rules.append(c.record(hour_tile, tile_of_hour(tile, c.matchers)))
        else:
            rules += tagged_hour_tiles(c, tile, hour_tile)
    return rules


def _window_ratio(c: Context, window: int) -> str:
    errors, requests = (window_sum(kind, c.matchers, window, c.grouping) for kind in (ERRORS, REQUESTS))
    return c.ratio(errors, requests)


def on_tiles(tier: AlertWindows) -> bool:
    """Both windows summed from tiles: the alert is evaluated with them, every 5 m, not every 30 s."""
    return min(tier.long, tier.short) > names.RAW_WINDOW_LIMIT


def tile_rules(c: Context) -> list[Rule]:
    long_windows = [w for w in distinct_windows(c.tiers) if w > names.RAW_WINDOW_LIMIT]
    rules = [*_tiles(c), *(c.record(names.error_ratio(w), _window_ratio(c, w)) for w in long_windows), *period_rules(c),
             *_state_alerts(c), *(burn_alert(c, tier) for tier in c.tiers if on_tiles(tier))]
    if c.sla.spec.alerting.absent:
        rules.append(_absent_alert(c))
    return rules


def _metadata(c: Context) -> list[Rule]:
    spec = c.sla.spec
    info = {"service": spec.service, "window": spec.window.describe(), **_descriptive(c)}
    rules = [
        c.record(names.TARGET, f"vector({render_number(percent_to_ratio(c.objective.target))})", info),
        c.record(names.BUDGET, f"vector({render_number(c.budget)})", info),
        c.record(names.PERIOD, f"vector({period_seconds(spec.window)})", info),
    ]
    if c.objective.warning is not None:
        rules.append(c.record(names.WARNING, f"vector({render_number(percent_to_ratio(c.objective.warning))})", info))
    return rules


def _period_events(c: Context, kind: Kind) -> str:
    """The rolling period's events, one-off corrections applied (pledge.rules.corrections)."""
    period = c.sla.spec.window.rolling
    assert period is not None
    extra = correction_parts(c, kind)
    return corrected(window_sum(kind, c.matchers, int(period), c.grouping, extra), extra)


def period_rules(c: Context) -> list[Rule]:
    if c.sla.spec.window.rolling is not None:
        events = [c.record(names.ERRORS_PERIOD, _period_events(c, ERRORS)),
                  c.record(names.REQUESTS_PERIOD, _period_events(c, REQUESTS))]
    else:
        events = calendar_period_rules(c)
    return [
        *_metadata(c),
        *events,
        c.record(names.ERROR_RATIO_PERIOD, c.ratio(c.series(names.ERRORS_PERIOD), c.series(names.REQUESTS_PERIOD))),
        c.record(names.BUDGET_REMAINING, f"1 - {c.series(names.ERROR_RATIO_PERIOD)} / {render_number(c.budget)}"),
    ]


def _descriptive(c: Context) -> dict[str, str]:
    """customer, sla_tier and owner when the SLA sets them (``owner`` routes alerts to the team)."""
    spec = c.sla.spec
    return {k: v for k, v in (("customer", spec.customer), ("sla_tier", spec.tier), ("owner", spec.owner)) if v}


def _alert_labels(c: Context, severity: str, tier: str | None = None, **extra: str) -> dict[str, str]:
    """Fixed labels for an alert: the SLA's own (SLA-wide, then its severity's, then its burn tier's),
    then pledge's; a grouping label keeps each group's own value instead."""
    spec = c.sla.spec
    own = spec.alerting.labels_for(severity, tier)
    labels = {**own, **c.identity, "severity": severity, "service": spec.service, **_descriptive(c), **extra}
    return {k: literal(v) for k, v in labels.items() if k not in c.grouping}


def _annotations(c: Context, severity: str, summary: str, description: str, tier: str | None = None) -> dict[str, str]:
    """The SLA's own annotations (merged as its labels are, runbook_url included) as literal text;
    pledge's summary and description are templates."""
    annotations = {k: literal(v) for k, v in c.sla.spec.alerting.annotations_for(severity, tier).items()}
    annotations.update(summary=summary, description=description)
    return annotations


def _who(c: Context) -> str:
    groups = "".join(f" {label}={{{{ $labels.{label} }}}}" for label in c.grouping)
    return literal(f"{c.sla.key} {c.objective.name}") + groups


def _fresh_ratio(c: Context, window: int) -> str:
    """A window's recorded error ratio; the tiles group's, every 5 m, as its newest sample of the
    last 10 minutes (an instant lookup of 5 minutes could fall between two evaluations)."""
    ratio = c.series(names.error_ratio(window))
    return ratio if window <= names.RAW_WINDOW_LIMIT else f"last_over_time({ratio}[{format_duration(FRESH)}])"


def burn_alert(c: Context, tier: AlertWindows) -> Rule:
    threshold = render_number(tier.burn_rate * c.budget)
    long_w, short_w = format_duration(tier.long), format_duration(tier.short)
    expr = f"({_fresh_ratio(c, tier.long)} > {threshold}) and {c.on} ({_fresh_ratio(c, tier.short)} > {threshold})"
    raw_reach = max((w for w in (tier.long, tier.short) if w <= names.RAW_WINDOW_LIMIT), default=0)
    labels = _alert_labels(c, tier.severity, tier.name, burn_tier=tier.name, long_window=long_w, short_window=short_w,
                           burn_rate=render_number(tier.burn_rate))
    percent = render_number(tier.budget_fraction * 100)
    return Rule(
        alert=names.ALERT_BURN,
        expr=_unless_maintenance(expr, c.sla.spec.exclusions, raw_reach),
        labels=labels,
        annotations=_annotations(
            c, tier.severity,
            f"{_who(c)} is burning its error budget {render_number(tier.burn_rate)}x too fast",
            f"Error ratio over {long_w} and {short_w} is above {threshold} ({render_number(tier.burn_rate)}x the "
            f"budget of {format_percent(c.objective.target)} %): at this rate {percent} % of the period's budget "
            f"goes in {long_w}. Current {long_w} error ratio: {{{{ $value | humanizePercentage }}}}.",
            tier.name,
        ),
    )


def _state_alerts(c: Context) -> list[Rule]:
    period_ratio = c.series(names.ERROR_RATIO_PERIOD)
    target = format_percent(c.objective.target)
    calendar = c.sla.spec.window.calendar
    if calendar is None:  # a rolling window is judged now: below target is a breach
        state, summary = "Breached", f"{_who(c)} is below its {target} % target for the period"
        description = ("The period's error budget is spent: the SLA is breached. "
                       "Error ratio: {{ $value | humanizePercentage }}.")
    else:  # a calendar period is judged when it closes (pledge.slo.budget.state: Behind until it cannot recover)
        state, summary = "Behind", f"{_who(c)} is below its {target} % target so far this {calendar}"
        description = (f"The {calendar}'s error ratio so far is above the budget of the {target} % target: behind. "
                       f"It is a breach only once the errors so far exceed the whole {calendar}'s budget, or if the "
                       f"{calendar} closes below target; the SLA's state in the API says which. "
                       "Error ratio so far: {{ $value | humanizePercentage }}.")
    rules = [
        Rule(
            alert=names.ALERT_EXHAUSTED,
            expr=f"{period_ratio} > {render_number(c.budget)}",
            labels=_alert_labels(c, "page", state=state),
            annotations=_annotations(c, "page", summary, description),
        )
    ]
    if c.objective.warning is not None:
        tolerance = budget_ratio(c.objective.warning)
        rules.insert(0, Rule(
            alert=names.ALERT_AT_RISK,
            expr=f"{period_ratio} > {render_number(tolerance)} <= {render_number(c.budget)}",
            labels=_alert_labels(c, "ticket", state="AtRisk"),
            annotations=_annotations(c, "ticket", f"{_who(c)} is below its {format_percent(c.objective.warning)} % warning level",
                                     f"Still above the {target} % target, but inside the tolerance band. "
                                     "Error ratio: {{ $value | humanizePercentage }}."),
        ))
    return rules


def _absent_alert(c: Context) -> Rule:
    """Fires when tiles that existed in the last day are gone; never for one that never existed.
    Evaluated with the tiles, so the newest tile is this evaluation's own."""
    tile = c.series(names.REQUESTS_TILE)
    expr = f"present_over_time({tile}[{format_duration(ABSENT_LOOKBACK)}]) unless {c.on} {tile}"
    return Rule(
        alert=names.ALERT_ABSENT,
        expr=_unless_maintenance(expr, c.sla.spec.exclusions, TILE),
        for_=format_duration(int(c.sla.spec.alerting.absent_for)),
        labels=_alert_labels(c, "ticket"),
        annotations=_annotations(c, "ticket", f"{_who(c)}: the SLI's metrics are gone",
                                 "No data for the SLI: missing metrics are not good news. Check the exporter "
                                 "and the selectors in the SLA."),
    )


def _breach_predicted_alert(c: Context) -> Rule:
    """Fires when the API's forecast gauge stays at or above ``minProbability`` for ``for``.

    ``max by (<grouping>)`` keeps one alert per group when several API replicas export the gauge; an
    absent gauge yields no series, so it never fires, and SLAMetricAbsent never reads it.
    """
    prediction = c.sla.spec.alerting.breach_prediction
    threshold = render_number(prediction.min_probability)
    return Rule(
        alert=names.ALERT_BREACH_PREDICTED,
        expr=f"max {by(c.grouping)}({selector(names.BREACH_PROBABILITY, c.identity)}) >= {threshold}",
        for_=format_duration(int(prediction.for_)),
        labels=_alert_labels(c, prediction.severity),
        annotations=_annotations(
            c, prediction.severity, f"{_who(c)} is likely to breach its {format_percent(c.objective.target)} % target",
            "Probability of a breach within the forecast horizon: {{ $value | humanizePercentage }} (this alert "
            f"fires from {render_number(prediction.min_probability * 100)} %). Nothing is broken yet: "
            "GET /v1/predictions says when the breach is expected; the error budget and burn rates say why.",
        ),
    )


def alert_rules(c: Context) -> list[Rule]:
    rules = [burn_alert(c, tier) for tier in c.tiers if not on_tiles(tier)]
    if c.sla.spec.alerting.breach_prediction.enabled:
        rules.append(_breach_predicted_alert(c))
    return rules
