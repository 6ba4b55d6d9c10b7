"""PromQL builders: the only place pledge writes PromQL text (rules, API and forecaster reuse them)."""

from __future__ import annotations

import re
from functools import lru_cache
from decimal import Decimal
from typing import Callable, Iterable

from pledge.slo.exclusions import EPOCH_MONDAY, Recurrence, utc_offsets
from pledge.slo.numbers import render_number
from pledge.sla.duration import format_duration
from pledge.sla.model import SLI
from pledge.sla.promql import WINDOW_PLACEHOLDER
from pledge.sla.units import DAY, WEEK


def escape_label_value(value: str) -> str:
    """A label value as a PromQL double-quoted string: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def matchers(labels: dict[str, str]) -> str:
    """{"a": "b"} -> 'a="b"', in a stable order."""
    return ",".join(f'{k}="{escape_label_value(v)}"' for k, v in sorted(labels.items()))


def selector(metric: str, labels: dict[str, str]) -> str:
    return f"{metric}{{{matchers(labels)}}}"


def by(labels: Iterable[str]) -> str:
    """'by (a, b) ' for an aggregation, or nothing when there is no grouping."""
    names = list(labels)
    return f"by ({', '.join(names)}) " if names else ""


def le_regex(threshold: float) -> str:
    """Every spelling of a bucket bound: 0.3 matches le="0.3" and "0.30"; 1 matches "1" and "1.0";
    and the exponent form Go and Python clients write for tiny or huge bounds ("1e-05", "2.5e+06")."""
    decimal = Decimal(repr(threshold)).normalize()
    text = format(decimal, "f")
    plain = re.escape(text) + ("0*" if "." in text else "(\\.0*)?")
    mantissa = format(decimal.scaleb(-decimal.adjusted()).normalize(), "f")
    exponent = f"{mantissa}e{'-' if decimal.adjusted() < 0 else '+'}{abs(decimal.adjusted()):02d}"
    return (plain + "|" + re.escape(exponent)).replace("\\", "\\\\")


def _rate(selector_text: str, window: str, group: str) -> str:
    """``window`` is the whole range text: "[5m]", or "[1h] @ 1700000000.000" for a past range."""
    return f"sum {group}(rate({selector_text}{window}))"


def _growth(selector_text: str, span: str, group: str) -> str:
    """How much each counter grew since ``span`` ago, read at both ends (not extrapolated as
    increase() is), so consecutive spans add up to exactly the counters' growth. A reset counts
    the value since the reset; a series that did not exist ``span`` ago counts nothing yet (its
    first value may hold years of events)."""
    then = f"{selector_text} offset {span}"
    return f"sum {group}((({selector_text} - {then}) >= 0) or ({selector_text} and {then}))"


def on_groups(grouping: list[str]) -> str:
    """``on(<grouping>)``: matches a sum over raw counters (grouping labels only) with a recorded
    series of one SLA (identity labels too)."""
    return f"on({', '.join(grouping)})"


def _or_zero(numerator: str, total: str, grouping: list[str]) -> str:
    """A counter that never incremented has no series: count it as zero where the total exists."""
    return f"({numerator} or {on_groups(grouping)} 0 * {total})"


Counts = Callable[[str], str]


def _counter_events(sli: SLI, counts: Counts, grouping: list[str], total: str | None) -> tuple[str, str] | None:
    """(bad, valid) of an SLI built on counters (ratio, latency), ``counts`` aggregating one
    selector; None for the gauge and raw kinds. ``total`` stands in for the valid events on the bad
    side (a recorded series of them): the counters are then read once."""
    if sli.ratio is not None:
        valid, good, bad = counts(sli.ratio.total), sli.ratio.good, sli.ratio.errors
    elif sli.latency is not None:
        own = sli.latency.selector[1:-1].strip().rstrip(",") if sli.latency.selector else ""
        fast = ", ".join(m for m in (own, f'le=~"{le_regex(sli.latency.threshold)}"') if m)
        valid = counts(f"{sli.latency.histogram}_count" + (f"{{{own}}}" if own else ""))
        good, bad = f"{sli.latency.histogram}_bucket{{{fast}}}", None
    else:
        return None
    base = total or valid
    if bad is not None:
        return _or_zero(counts(bad), base, grouping), valid
    assert good is not None
    return f"clamp_min({base} - {on_groups(grouping)} {_or_zero(counts(good), base, grouping)}, 0)", valid


_RANGE = re.compile(r"\[" + re.escape(WINDOW_PLACEHOLDER) + r"(:[^\]]*)?\]")


def sli_rates(sli: SLI, window: int, grouping: list[str], end: float | None = None,
              total: str | None = None) -> tuple[str, str]:
    """(bad events per second, valid events per second) over ``window``, summed per group.

    ``end`` pins the window to end at that unix time (the ``@`` modifier on every range) instead
    of at the evaluation time: the API reads a period's pieces between maintenance this way.
    ``total``: a recorded series of the valid events per second, read instead of the counters
    where the bad side needs the total.
    """
    duration, group = format_duration(window), by(grouping)
    w = f"[{duration}]" + (f" @ {end:.3f}" if end is not None else "")
    if found := _counter_events(sli, lambda s: _rate(s, w, group), grouping, total):
        return found
    if sli.bool_gauge is not None:
        up = f"avg_over_time({sli.bool_gauge.metric}{w})"
        return f"sum {group}(1 - clamp({up}, 0, 1))", f"count {group}({up})"
    assert sli.raw is not None
    # a range `[{{window}}]` or a subquery `[{{window}}:1m]`: both pinned with `@` when ``end`` is given
    pinned = f" @ {end:.3f}" if end is not None else ""
    expression = re.sub(_RANGE, lambda m: f"[{duration}{m[1] or ''}]{pinned}", sli.raw.error_ratio)
    expression = expression.replace(WINDOW_PLACEHOLDER, duration)
    ratio = f"({expression}) >= 0"  # drops NaN
    return f"sum {group}(clamp_max({ratio}, 1))", f"count {group}({ratio})"


def sli_tile(sli: SLI, span: int, grouping: list[str], total: str) -> tuple[str, str]:
    """(bad events, valid events) in the last ``span`` seconds, summed per group: counters read at
    both ends (exact, and consecutive spans tile); gauge and raw SLIs averaged over the span.
    ``total``: the recorded valid events, which the bad side reads."""
    group = by(grouping)
    if found := _counter_events(sli, lambda s: _growth(s, format_duration(span), group), grouping, total):
        return found
    bad, valid = sli_rates(sli, span, grouping)
    return f"{bad} * {span}", f"{valid} * {span}"


def now_expression(shift: int = 0) -> str:
    """The evaluation time as a one-element vector, ``shift`` seconds later (earlier if negative)."""
    if not shift:
        return "vector(time())"
    return f"vector(time() {'+' if shift > 0 else '-'} {abs(shift)})"


@lru_cache(maxsize=256)
def local_time(timezone: str, shift: int = 0) -> str:
    """Unix time moved to ``timezone``'s wall clock, following its daylight-saving changes.

    Built from scalars and wrapped in vector() once: scalar arithmetic is cheap, while one vector
    operation per daylight-saving change made each evaluation 30 times dearer.
    """
    first, changes = utc_offsets(timezone)
    constant = shift + first
    terms = ["time()"] + ([f"{constant}"] if constant else [])
    terms += [f"(time() >= bool {moment - shift}) * {delta}" for moment, delta in changes]
    return f"vector({' + '.join(terms)})"


def in_interval(start: float, end: float) -> str:
    """Non-empty while start <= time() < end."""
    return f"({now_expression()} >= {render_number(start)} < {render_number(end)})"


def in_recurrence(recur: Recurrence, extend: int = 0) -> str:
    """Non-empty during each occurrence (held ``extend`` seconds longer); same formula as slo.exclusions."""
    shift = EPOCH_MONDAY if recur.period == WEEK else 0
    constant = (-shift - recur.start) % recur.period  # keeps the dividend positive from time 0 onwards
    return f"(({local_time(recur.timezone)} + {constant}) % {recur.period} < {recur.duration + extend})"


def any_of(conditions: list[str]) -> str:
    return " or ".join(conditions)


__all__ = ["DAY", "WEEK", "any_of", "by", "escape_label_value", "in_interval", "in_recurrence", "le_regex",
           "local_time", "matchers", "on_groups", "selector", "sli_rates", "sli_tile"]
