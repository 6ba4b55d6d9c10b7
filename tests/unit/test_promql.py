"""pledge.rules.promql: escaping, le spellings, SLI rates, and the time formulas evaluated for real.

The time formulas (local time, recurring maintenance, calendar period index) are plain arithmetic on
``time()``; the evaluator of tests.support.promql runs them in Python with Prometheus semantics
(Go's ``math.Mod`` keeps the dividend's sign; a comparison without ``bool`` filters), so they can be
checked against zoneinfo and against their Python twins in pledge.slo.exclusions.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

import promql_parser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pledge.rules.calendar import period_index
from pledge.rules.promql import (
    any_of,
    by,
    escape_label_value,
    in_interval,
    in_recurrence,
    le_regex,
    local_time,
    matchers,
    selector,
    sli_rates,
    sli_tile,
)
from pledge.slo.exclusions import in_recurrence as python_in_recurrence
from pledge.slo.exclusions import recurrence
from pledge.sla.model import SLI, Exclusion
from pledge.sla.units import DAY, HOUR
from tests.support.promql import UTC, compile_promql


def test_evaluator_follows_prometheus_semantics() -> None:
    assert compile_promql("vector(time() + 5) % 3")(-10) == math.fmod(-5, 3) == -2
    assert compile_promql("vector(time()) > 3")(2) is None
    assert compile_promql("vector(time()) > 3")(4) == 4
    assert compile_promql("3 < vector(time())")(4) == 4
    assert compile_promql("vector(time()) > bool 3")(2) == 0
    assert compile_promql("(vector(time()) > 3) or vector(7)")(2) == 7
    assert compile_promql("vector(1) unless (vector(time()) > 3)")(4) is None
    assert compile_promql("vector(time()) >= 2 < 5")(4) == 4
    assert compile_promql("vector(time()) >= 2 < 5")(5) is None
    assert compile_promql("year(vector(time()))")(utc_ts(2026, 12, 31, 23, 59)) == 2026
    assert compile_promql("floor(vector(time()) / 7)")(15) == 2
    assert compile_promql("(vector(time()) > 3) * 2")(4) == 8
    assert compile_promql("(vector(time()) > 3) * 2")(3) is None
    with pytest.raises(NotImplementedError):
        compile_promql("rate(x[5m])")


def utc_ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def _offset(zone: str, unix: float) -> int:
    offset = dt.datetime.fromtimestamp(unix, ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


# --- escaping ---------------------------------------------------------------------------------------


def _matcher_value(text: str, name: str) -> str:
    parsed = promql_parser.parse(text)
    assert isinstance(parsed, promql_parser.VectorSelector), type(parsed)
    values = [m.value for m in parsed.matchers.matchers if m.name == name]
    assert len(values) == 1, values
    return values[0]


@pytest.mark.parametrize(("value", "escaped"), [
    ('say "hi"', 'say \\"hi\\"'),
    ("C:\\path", "C:\\\\path"),
    ("two\nlines", "two\\nlines"),
    ('x"} or vector(1) #', 'x\\"} or vector(1) #'),
    ('\\"', '\\\\\\"'),
    ("plain", "plain"),
])
def test_escape_label_value(value: str, escaped: str) -> None:
    assert escape_label_value(value) == escaped
    text = f'up{{team="{escape_label_value(value)}"}}'
    assert _matcher_value(text, "team") == value


def test_injection_stays_inside_the_matcher() -> None:
    hostile = 'a"} or on() vector(1) or up{x="'
    text = selector("up", {"team": hostile, "job": "api"})
    parsed = promql_parser.parse(text)
    assert isinstance(parsed, promql_parser.VectorSelector)  # no `or` expression escaped the string
    assert {m.name: m.value for m in parsed.matchers.matchers} == {"team": hostile, "job": "api"}


@settings(max_examples=200)
@given(st.text())
def test_any_label_value_survives_escaping(value: str) -> None:
    text = selector("metric", {"label": value, "other": "x"})
    assert _matcher_value(text, "label") == value
    assert _matcher_value(text, "other") == "x"


def test_matchers_and_selector_are_stable() -> None:
    labels = {"sla_namespace": "shop", "sla": "checkout", "objective": "availability"}
    assert matchers(labels) == 'objective="availability",sla="checkout",sla_namespace="shop"'
    assert selector("pledge:x:y", labels) == 'pledge:x:y{objective="availability",sla="checkout",sla_namespace="shop"}'
    assert by([]) == ""
    assert by(["customer", "region"]) == "by (customer, region) "


# --- le spellings -------------------------------------------------------------------------------------


def _le_pattern(threshold: float) -> re.Pattern[str]:
    """The regex as Prometheus sees it: the PromQL string is un-escaped first, and matches are anchored."""
    text = f'm{{le=~"{le_regex(threshold)}"}}'
    return re.compile(_matcher_value(text, "le"))


@pytest.mark.parametrize(("threshold", "matching", "not_matching"), [
    (0.3, ["0.3", "0.30", "0.300"], ["0.35", "0.03", "10.3", "0.3 ", "0x3", "0a3", "0.31", "3"]),
    (1, ["1", "1.0", "1.00"], ["10", "1.5", "11", "0.1", "1.01", "01x"]),
    (1.0, ["1", "1.0"], ["10", "1.5"]),
    (2.5, ["2.5", "2.50"], ["2.05", "25", "2.55", "12.5"]),
    (10, ["10", "10.0"], ["1", "100", "1.0"]),
    (0.005, ["0.005", "0.0050"], ["0.05", "0.0055", "0.5"]),
])
def test_le_regex(threshold: float, matching: list[str], not_matching: list[str]) -> None:
    pattern = _le_pattern(threshold)
    for spelling in matching:
        assert pattern.fullmatch(spelling), (threshold, spelling, pattern.pattern)
    for spelling in not_matching:
        assert not pattern.fullmatch(spelling), (threshold, spelling, pattern.pattern)


@pytest.mark.parametrize(("threshold", "go_spelling"), [(1e-05, "1e-05"), (1e6, "1e+06"), (2.5e6, "2.5e+06")])
def test_le_regex_matches_go_exponent_spelling(threshold: float, go_spelling: str) -> None:
    """Go clients write bucket bounds with strconv.FormatFloat(v, 'g', -1, 64): 1e-05 and 1e+06, not 0.00001
    and 1000000. A threshold on such a bucket must still find its series."""
    assert _le_pattern(threshold).fullmatch(go_spelling), le_regex(threshold)


@settings(max_examples=200)
@given(st.decimals(min_value="0.001", max_value="1000", places=3))
def test_le_regex_matches_trailing_zero_spellings_only(value: Any) -> None:
    threshold = float(value)
    pattern = _le_pattern(threshold)
    plain = format(value.normalize(), "f")
    assert pattern.fullmatch(plain)
    assert pattern.fullmatch(plain + ("0" if "." in plain else ".0"))
    if "e" not in repr(threshold):
        assert pattern.fullmatch(repr(threshold))  # Python's and Go's shortest spelling, e.g. 0.3 or 1.0
    for other in (threshold * 10, threshold + 0.001, threshold / 10):
        other_text = format(type(value)(repr(other)).normalize(), "f")
        if float(other_text) != threshold:
            assert not pattern.fullmatch(other_text), (plain, other_text)


# --- SLI rates ----------------------------------------------------------------------------------------

SLIS: dict[str, dict[str, Any]] = {
    "ratio-errors": {"ratio": {"errors": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"}},
    "ratio-good": {"ratio": {"good": 'http_requests_total{code!~"5.."}', "total": 'http_requests_total{job="api"}'}},
    "latency": {"latency": {"histogram": "http_request_duration_seconds", "selector": '{service="search"}',
                            "threshold": 0.3}},
    "latency-no-selector": {"latency": {"histogram": "rpc_duration_seconds_bucket", "threshold": 1}},
    "bool-gauge": {"boolGauge": {"metric": 'probe_success{job="blackbox"}'}},
    "raw": {"raw": {"errorRatio": "avg_over_time((queue_age_seconds > bool 300)[{{window}}:1m])"}},
}


def _selectors(node: Any) -> list[Any]:
    found: list[Any] = []

    def visit(n: Any) -> None:
        if isinstance(n, promql_parser.VectorSelector):
            found.append(n)

    promql_parser.walk(node, visit)
    return found


def _ranges(node: Any) -> list[dt.timedelta]:
    found: list[dt.timedelta] = []

    def visit(n: Any) -> None:
        if isinstance(n, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr)):
            assert n.range is not None, n  # the stub allows a subquery without a range; PromQL does not
            found.append(n.range)

    promql_parser.walk(node, visit)
    return found


def _instances(node: Any, kind: type) -> list[Any]:
    found: list[Any] = []

    def visit(n: Any) -> None:
        if isinstance(n, kind):
            found.append(n)

    promql_parser.walk(node, visit)
    return found


def _aggregations(node: Any) -> list[Any]:
    return _instances(node, promql_parser.AggregateExpr)


def _binaries(node: Any) -> list[Any]:
    return _instances(node, promql_parser.BinaryExpr)


@pytest.mark.parametrize("kind", list(SLIS))
@pytest.mark.parametrize("grouping", [[], ["customer"], ["customer", "region"]])
@pytest.mark.parametrize("window", [300, 1_800, 3_600])
def test_sli_rates_parse_with_the_window_and_grouping(kind: str, grouping: list[str], window: int) -> None:
    sli = SLI.model_validate(SLIS[kind])
    errors, requests = sli_rates(sli, window, grouping)
    for text in (errors, requests, f"{errors} / ({requests} > 0)"):
        parsed = promql_parser.parse(text)
        assert _ranges(parsed), text
        assert {r.total_seconds() for r in _ranges(parsed)} == {window}, text
        for aggregation in _aggregations(parsed):
            labels = aggregation.modifier.labels if aggregation.modifier else []
            assert labels == grouping, text


def test_latency_rates_read_the_threshold_bucket_and_the_count() -> None:
    sli = SLI.model_validate(SLIS["latency"])
    errors, requests = sli_rates(sli, 300, ["customer"])
    names = {s.name for s in _selectors(promql_parser.parse(errors))}
    assert names == {"http_request_duration_seconds_count", "http_request_duration_seconds_bucket"}
    (total,) = _selectors(promql_parser.parse(requests))
    assert total.name == "http_request_duration_seconds_count"
    assert {(m.name, m.value) for m in total.matchers.matchers} == {("service", "search")}
    bucket = next(s for s in _selectors(promql_parser.parse(errors)) if s.name.endswith("_bucket"))
    le = {m.name: m.value for m in bucket.matchers.matchers}
    assert le["service"] == "search" and re.fullmatch(le["le"], "0.30")
    assert requests.startswith("sum by (customer) (rate(")


def test_latency_without_selector_has_no_empty_braces() -> None:
    errors, requests = sli_rates(SLI.model_validate(SLIS["latency-no-selector"]), 300, [])
    assert "{}" not in errors + requests
    (total,) = _selectors(promql_parser.parse(requests))
    assert total.name == "rpc_duration_seconds_count"


def test_ratio_with_errors_counts_missing_errors_as_zero() -> None:
    errors, requests = sli_rates(SLI.model_validate(SLIS["ratio-errors"]), 300, [])
    assert requests == "sum (rate(http_requests_total[5m]))"
    assert errors == f'(sum (rate(http_requests_total{{code=~"5.."}}[5m])) or on() 0 * {requests})'


def test_ratio_with_good_is_total_minus_good_never_negative() -> None:
    errors, requests = sli_rates(SLI.model_validate(SLIS["ratio-good"]), 300, ["customer"])
    assert requests == 'sum by (customer) (rate(http_requests_total{job="api"}[5m]))'
    assert errors.startswith(f"clamp_min({requests} - on(customer) (")
    assert errors.endswith(", 0)")


RECORDED = 'pledge:sli_requests:rate5m{objective="a",sla="s",sla_namespace="n"}'


@pytest.mark.parametrize("kind", ["ratio-errors", "ratio-good", "latency", "latency-no-selector"])
@pytest.mark.parametrize("grouping", [[], ["customer", "region"]])
def test_counter_rates_read_the_recorded_total_on_the_bad_side(kind: str, grouping: list[str]) -> None:
    """Given a recorded total, the bad side reads it instead of the counter (read once, by the requests
    rule), and meets the raw sums `on(<grouping>)`: the recorded series carries identity labels too."""
    sli = SLI.model_validate(SLIS[kind])
    errors, requests = sli_rates(sli, 300, grouping, total=RECORDED)
    (counter,) = _selectors(promql_parser.parse(requests))
    bad = _selectors(promql_parser.parse(errors))
    assert {s.name for s in bad if s.name.startswith("pledge:")} == {"pledge:sli_requests:rate5m"}
    assert not any(s.name == counter.name and s.matchers.matchers == counter.matchers.matchers for s in bad)
    matches = [n.modifier.matching for n in _binaries(promql_parser.parse(errors)) if n.modifier and n.modifier.matching]
    assert matches and all(m.labels == grouping for m in matches)


@pytest.mark.parametrize("kind", list(SLIS))
@pytest.mark.parametrize("grouping", [[], ["customer"]])
def test_sli_tile_counts_events_in_the_span(kind: str, grouping: list[str]) -> None:
    """Counters: growth read at both ends, `(x - x offset 5m) >= 0 or (x and x offset 5m)`, no range; the
    gauge and raw kinds: their 5 m rates times 300."""
    sli = SLI.model_validate(SLIS[kind])
    recorded = RECORDED.replace("rate5m", "increase5m")
    errors, requests = sli_tile(sli, 300, grouping, total=recorded)
    for text in (errors, requests):
        parsed = promql_parser.parse(text)
        for aggregation in _aggregations(parsed):
            assert (aggregation.modifier.labels if aggregation.modifier else []) == grouping, text
    if kind in ("bool-gauge", "raw"):
        assert (errors, requests) == tuple(f"{x} * 300" for x in sli_rates(sli, 300, grouping))
        return
    for text in (errors, requests):
        parsed = promql_parser.parse(text)
        assert not _ranges(parsed), text
        raw = [s for s in _selectors(parsed) if not s.name.startswith("pledge:")]
        assert raw and sorted(str(s.offset) for s in raw) == sorted(["None", "0:05:00"] * (len(raw) // 2))
    assert "pledge:sli_requests:increase5m" in errors and "pledge:" not in requests


def test_raw_rates_drop_nan_and_clamp() -> None:
    errors, requests = sli_rates(SLI.model_validate(SLIS["raw"]), 1_800, [])
    assert "[30m:1m]" in errors and "{{window}}" not in errors + requests
    assert ") >= 0" in errors and "clamp_max(" in errors
    assert requests.startswith("count (")


# --- time formulas, evaluated ---------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("shift", [0, -1, 3_600])
def test_local_time_follows_the_zone(zone: str, shift: int) -> None:
    formula = compile_promql(local_time(zone, shift))
    probes = [utc_ts(2026, 1, 15), utc_ts(2026, 7, 15, 12)]
    first, last = utc_ts(2026, 1, 1), utc_ts(2027, 1, 1)
    for moment in range(int(first), int(last), 3_600):  # every change of 2026, at the minute
        if _offset(zone, moment) != _offset(zone, moment + 3_600):
            low, high = moment, moment + 3_600
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if _offset(zone, middle) == _offset(zone, moment) else (low, middle)
            probes += [high - 61, high - 1, high, high + 59]
    for unix in probes:
        expected = unix + shift + _offset(zone, unix + shift)
        assert formula(unix) == expected, (zone, dt.datetime.fromtimestamp(unix, UTC))


def test_in_interval() -> None:
    start, end = utc_ts(2026, 11, 1, 2), utc_ts(2026, 11, 1, 4)
    formula = compile_promql(in_interval(start, end))
    assert formula(start - 1) is None
    assert formula(start) is not None
    assert formula(end - 1) is not None
    assert formula(end) is None
    assert "e+" not in in_interval(start, end)  # plain numbers, no exponent
    either = compile_promql(any_of([in_interval(0, 10), in_interval(20, 30)]))
    assert [either(t) is not None for t in (5, 15, 25, 35)] == [True, False, True, False]


RECURRING = [
    {"schedule": "daily", "at": "02:00", "duration": "2h", "timezone": "Europe/Berlin"},
    {"schedule": "weekly", "day": "sunday", "at": "02:00", "duration": "2h", "timezone": "Europe/Berlin"},
    {"schedule": "weekly", "day": "friday", "at": "23:30", "duration": "3h", "timezone": "America/New_York"},
    {"schedule": "daily", "at": "00:15", "duration": "30m", "timezone": "UTC"},
    {"schedule": "weekly", "day": "monday", "at": "00:00", "duration": "1h", "timezone": "UTC"},
]


@pytest.mark.parametrize("fields", RECURRING, ids=lambda f: f"{f['schedule']}-{f['at']}-{f['timezone']}")
@pytest.mark.parametrize("around", [utc_ts(2026, 10, 25), utc_ts(2026, 3, 29), utc_ts(2026, 11, 1),
                                    utc_ts(2026, 3, 8), utc_ts(2026, 7, 1)], ids=lambda t: str(dt.date.fromtimestamp(t)))
def test_in_recurrence_promql_agrees_with_python(fields: dict[str, str], around: float) -> None:
    """The PromQL condition and pledge.slo.exclusions.in_recurrence are one formula: they must agree at
    every minute of the week around each daylight-saving change (and away from them)."""
    recur = recurrence(Exclusion.model_validate(fields))
    formula = compile_promql(in_recurrence(recur))
    disagree = [
        dt.datetime.fromtimestamp(unix, UTC).isoformat()
        for unix in range(int(around - 4 * DAY), int(around + 3 * DAY), 60)
        if (formula(unix) is not None) != python_in_recurrence(recur, unix)
    ]
    assert not disagree, f"{len(disagree)} minutes differ, first {disagree[0]}, last {disagree[-1]}"


def test_in_recurrence_extend_holds_the_window_longer() -> None:
    recur = recurrence(Exclusion.model_validate({"schedule": "daily", "at": "02:00", "duration": "1h"}))
    plain, held = compile_promql(in_recurrence(recur)), compile_promql(in_recurrence(recur, 300))
    day = utc_ts(2026, 7, 1)
    assert plain(day + 2 * HOUR - 1) is None and held(day + 2 * HOUR - 1) is None
    assert plain(day + 2 * HOUR) is not None
    assert plain(day + 3 * HOUR) is None and held(day + 3 * HOUR) is not None
    assert held(day + 3 * HOUR + 299) is not None and held(day + 3 * HOUR + 300) is None


def test_in_recurrence_from_time_zero() -> None:
    """promtool test rules starts at Unix time 0 (a Thursday): the formula must work from there on."""
    recur = recurrence(Exclusion.model_validate({"schedule": "weekly", "day": "thursday", "at": "00:10", "duration": "20m"}))
    formula = compile_promql(in_recurrence(recur))
    inside = [t for t in range(0, 2 * 7 * DAY, 60) if formula(t) is not None]
    assert inside[:1] == [600] and len(inside) == 40
    assert inside[20] == 7 * DAY + 600


def _local_period(calendar: str, zone: str, unix: float) -> tuple[int, ...]:
    local = dt.datetime.fromtimestamp(unix, ZoneInfo(zone))
    if calendar == "month":
        return (local.year, local.month)
    if calendar == "quarter":
        return (local.year, (local.month - 1) // 3)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return (monday.toordinal(),)


@pytest.mark.parametrize("calendar", ["week", "month", "quarter"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_period_index_steps_exactly_at_local_boundaries(calendar: str, zone: str) -> None:
    now, hour_ago = compile_promql(period_index(calendar, zone)), compile_promql(period_index(calendar, zone, -1))
    tz = ZoneInfo(zone)
    boundaries = []
    for year in (2026, 2027):
        for month in range(1, 13):
            first = dt.datetime(year, month, 1, tzinfo=tz)
            if calendar == "month" or (calendar == "quarter" and month % 3 == 1):
                boundaries.append(first.timestamp())
    if calendar == "week":
        mondays = [dt.date(2026, 1, 5) + dt.timedelta(weeks=w) for w in range(0, 104, 3)]
        boundaries = [dt.datetime.combine(monday, dt.time(), tz).timestamp() for monday in mondays]
    for boundary in boundaries:
        before, at = now(boundary - 1), now(boundary)
        assert before is not None and at is not None
        assert at - before == 1, (calendar, zone, dt.datetime.fromtimestamp(boundary, tz))
        assert now(boundary + 1800) == at
        assert hour_ago(boundary) == before and hour_ago(boundary + 1) == at
    # the index changes exactly when the local period does
    samples = [utc_ts(2026, 1, 1) + k * 90_011 for k in range(700)]
    for a, b in zip(samples, samples[1:]):
        same = _local_period(calendar, zone, a) == _local_period(calendar, zone, b)
        assert (now(a) == now(b)) == same, dt.datetime.fromtimestamp(b, tz)


@pytest.mark.parametrize(("ratio", "pinned"), [
    ("rate(errors[{{window}}]) / rate(total[{{window}}])",
     "rate(errors[5m] @ 1000.000) / rate(total[5m] @ 1000.000)"),
    ("avg_over_time((age > bool 300)[{{window}}:1m])", "avg_over_time((age > bool 300)[5m:1m] @ 1000.000)"),
])
def test_a_raw_sli_is_pinned_whether_it_reads_ranges_or_a_subquery(ratio: str, pinned: str) -> None:
    """A subquery was left unpinned, so a raw SLI's counters always seemed to reach back to any period's
    start (every report of such an SLA took the raw path, and its corrections read the wrong time)."""
    sli = SLI.model_validate({"raw": {"errorRatio": ratio}})
    assert sli_rates(sli, 300, [], end=1000.0)[1] == f"count (({pinned}) >= 0)"
