"""pledge.sla: examples parse, invalid documents name the field path and the reason, values round-trip.

Every fault must surface as a SpecError whose ``problems`` hold one "path: reason" line each; any other
exception (AttributeError, OSError, ...) reaching the caller is a bug, because the operator turns
SpecError into a status condition and would crash on anything else.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pledge.rules import generate
from pledge.sla import SpecError, parse_sla, parse_yaml
from pledge.sla.loader import StrictLoader, read_documents
from pledge.sla.model import ServiceLevelAgreement

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))

MINIMAL: dict[str, Any] = {
    "apiVersion": "pledge.dev/v1alpha1",
    "kind": "ServiceLevelAgreement",
    "metadata": {"name": "checkout", "namespace": "shop"},
    "spec": {
        "service": "checkout",
        "window": {"rolling": "30d"},
        "objectives": [
            {
                "name": "availability",
                "target": "99.9",
                "sli": {"ratio": {"errors": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"}},
            },
            {
                "name": "latency",
                "target": "99",
                "sli": {"latency": {"histogram": "http_request_duration_seconds", "threshold": 0.3,
                                    "buckets": [0.1, 0.3, 1]}},
            },
        ],
    },
}


def _doc(**changes: Any) -> dict[str, Any]:
    """MINIMAL with dotted paths set (value None deletes the key), e.g. ``_doc(**{"spec.window": {...}})``."""
    document = copy.deepcopy(MINIMAL)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(last) if last.isdigit() else last
        if value is None:
            del node[key]
        else:
            node[key] = value
    return document


def _problems(document: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_sla(document)
    problems = caught.value.problems
    assert problems, "a SpecError must list at least one problem"
    return problems


def _only(document: Any) -> str:
    problems = _problems(document)
    assert len(problems) == 1, problems
    return problems[0]


# --- valid documents -------------------------------------------------------------------------------


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_parses(path: Path) -> None:
    (sla,) = parse_yaml(path.read_text(), source=path.name)
    raw = yaml.safe_load(path.read_text())
    assert sla.metadata.name == raw["metadata"]["name"]
    assert sla.metadata.namespace == raw["metadata"]["namespace"]
    assert sla.spec.service == raw["spec"]["service"]
    assert [o.name for o in sla.spec.objectives] == [o["name"] for o in raw["spec"]["objectives"]]
    for objective, written in zip(sla.spec.objectives, raw["spec"]["objectives"]):
        assert objective.target == Decimal(written["target"])


def test_minimal_document_and_defaults() -> None:
    sla = parse_sla(_doc(**{"spec.window": None}))
    assert sla.key == "shop/checkout"
    assert sla.ref.labels() == {"sla": "checkout", "sla_namespace": "shop"} and sla.key == str(sla.ref) == "shop/checkout"
    assert int(sla.spec.window.rolling or 0) == 30 * 86_400  # default window
    assert sla.spec.alerting.policy == "sre-workbook"
    assert sla.spec.alerting.absent is True
    assert int(sla.spec.alerting.absent_for) == 600
    assert sla.spec.objectives[1].sli.kind == "latency"


def test_examples_use_what_they_claim() -> None:
    by_name = {p.name: parse_yaml(p.read_text())[0] for p in EXAMPLES}
    monthly = by_name["acme-monthly.yaml"].spec
    assert (monthly.window.calendar, monthly.window.timezone) == ("month", "Europe/Berlin")
    assert [c.below for c in monthly.credits] == [Decimal("99.9"), Decimal("99.0"), Decimal("95.0")]
    assert monthly.credit_cap == Decimal("50")
    assert monthly.exclusions[1].schedule == "weekly" and monthly.exclusions[1].day == "sunday"
    assert by_name["checkout-grouped.yaml"].spec.grouping == ["customer"]
    assert by_name["edge-probes.yaml"].spec.objectives[0].sli.kind == "bool_gauge"
    assert int(by_name["edge-probes.yaml"].spec.alerting.absent_for) == 900
    assert by_name["queue-raw.yaml"].spec.objectives[0].sli.kind == "raw"
    latency = by_name["search-latency.yaml"].spec.objectives[0].sli.latency
    assert latency is not None and latency.threshold == 0.3 and latency.histogram == "http_request_duration_seconds"
    prediction = by_name["checkout-grouped.yaml"].spec.alerting.breach_prediction
    assert prediction.enabled and prediction.min_probability == Decimal("0.8") and int(prediction.for_) == 900


@pytest.mark.parametrize("written", ["99.9", 99.9, "99.90", " 99.9 "])
def test_percent_string_and_float_parse_to_exact_decimal(written: Any) -> None:
    sla = parse_sla(_doc(**{"spec.objectives.0.target": written}))
    target = sla.spec.objectives[0].target
    assert isinstance(target, Decimal)
    assert target == Decimal("99.9")


def test_percent_from_yaml_float_is_exact() -> None:
    text = yaml.safe_dump(MINIMAL).replace("target: '99.9'", "target: 99.9")
    assert "target: 99.9\n" in text
    (sla,) = parse_yaml(text)
    assert sla.spec.objectives[0].target == Decimal("99.9")
    assert str(sla.spec.objectives[0].target) == "99.9"  # not 99.900000000000005684...


def test_integer_percent_and_serialisation_spelling() -> None:
    sla = parse_sla(_doc(**{"spec.objectives.0.target": 99, "spec.objectives.0.warning": "99.50"}))
    dumped = sla.model_dump(by_alias=True, mode="json")["spec"]["objectives"][0]
    assert (dumped["target"], dumped["warning"]) == ("99", "99.5")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_model_dump_round_trips(path: Path) -> None:
    (sla,) = parse_yaml(path.read_text())
    assert parse_sla(sla.model_dump(by_alias=True)) == sla


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_json_dump_without_nulls_round_trips(path: Path) -> None:
    (sla,) = parse_yaml(path.read_text())
    data = json.loads(sla.model_dump_json(by_alias=True, exclude_none=True))
    again = parse_sla(data)
    assert again == sla
    assert again.model_dump(by_alias=True, mode="json") == sla.model_dump(by_alias=True, mode="json")


# --- invalid documents: exact field path and reason -------------------------------------------------


@pytest.mark.parametrize(("target", "shown"), [("100", "100"), (100, "100"), ("0", "0"), ("100.0", "100.0")])
def test_target_outside_open_interval(target: Any, shown: str) -> None:
    line = _only(_doc(**{"spec.objectives.1.target": target}))
    assert line == f'spec.objectives[1].target: must be between 0 and 100 exclusive, got "{shown}"'


@pytest.mark.parametrize("target", ["abc", "-1", "1e2", True, None, [99]])
def test_target_not_a_percentage(target: Any) -> None:
    line = _only(_doc(**{"spec.objectives.0.target": target}))
    assert line.startswith("spec.objectives[0].target: "), line
    if target == "abc":
        assert line == 'spec.objectives[0].target: must be a percentage such as "99.9", got "abc"'


def test_missing_target() -> None:
    assert _only(_doc(**{"spec.objectives.0.target": None})) == "spec.objectives[0].target: required field is missing"


@pytest.mark.parametrize("warning", ["99.9", "99.8"])
def test_warning_must_be_above_target(warning: str) -> None:
    line = _only(_doc(**{"spec.objectives.0.warning": warning}))
    assert line.startswith("spec.objectives[0]"), line
    assert f'warning: must be above target (99.9), got "{warning}"' in line
    assert "tolerance zone (AtRisk)" in line


def test_warning_of_100_is_rejected_as_a_percentage_bound() -> None:
    line = _only(_doc(**{"spec.objectives.0.warning": "100"}))
    assert line == 'spec.objectives[0].warning: must be between 0 and 100 exclusive, got "100"'


@pytest.mark.parametrize("ratio", [
    {"errors": "a", "good": "b", "total": "c"},
    {"total": "c"},
])
def test_ratio_needs_exactly_one_numerator(ratio: dict[str, str]) -> None:
    line = _only(_doc(**{"spec.objectives.0.sli.ratio": ratio}))
    assert line == 'spec.objectives[0].sli.ratio: set exactly one of "errors" or "good" (with "total")'


def test_promql_syntax_error_in_selector() -> None:
    line = _only(_doc(**{"spec.objectives.0.sli.ratio.errors": 'http_requests_total{code=~"5.."'}))
    assert line.startswith("spec.objectives[0].sli.ratio.errors: is not valid PromQL ("), line
    assert line.endswith('): "http_requests_total{code=~"5..""'), line


@pytest.mark.parametrize("expression", ['rate(http_requests_total{code="500"}[5m])', "http_requests_total[5m]",
                                        "sum(http_requests_total)", "1"])
def test_expression_where_a_selector_is_required(expression: str) -> None:
    line = _only(_doc(**{"spec.objectives.0.sli.ratio.total": expression}))
    assert line.startswith("spec.objectives[0].sli.ratio.total: must be a metric selector"), line
    assert f'got "{expression}"' in line
    assert "use a raw SLI for expressions" in line


def test_sli_needs_exactly_one_kind() -> None:
    both = {"ratio": {"errors": "a", "total": "b"}, "boolGauge": {"metric": "up"}}
    line = _only(_doc(**{"spec.objectives.0.sli": both}))
    assert line.startswith("spec.objectives[0].sli: set exactly one SLI kind of ratio, latency, boolGauge or raw"), line
    line = _only(_doc(**{"spec.objectives.0.sli": {}}))
    assert line.startswith("spec.objectives[0].sli: set exactly one SLI kind"), line


def test_raw_without_window_placeholder() -> None:
    sli = {"raw": {"errorRatio": "rate(errors_total[5m]) / rate(requests_total[5m])"}}
    line = _only(_doc(**{"spec.objectives.0.sli": sli}))
    assert line == ('spec.objectives[0].sli.raw.errorRatio: must contain the placeholder {{window}} where the '
                    'range goes, got "rate(errors_total[5m]) / rate(requests_total[5m])"')


def test_raw_with_syntax_error() -> None:
    line = _only(_doc(**{"spec.objectives.0.sli": {"raw": {"errorRatio": "rate(x[{{window}}]"}}}))
    assert line.startswith("spec.objectives[0].sli.raw.errorRatio: is not valid PromQL"), line


@pytest.mark.parametrize("expression", [
    "errors_total[{{window}}]",                       # a range vector
    "scalar(sum(rate(errors_total[{{window}}])))",    # a scalar
    '"{{window}}"',                                   # a string
    "{{window}}",                                     # a bare duration
])
def test_raw_must_be_an_instant_vector(expression: str) -> None:
    """pledge wraps the ratio in `(...) >= 0` and sum()/count(): only an instant vector fits there."""
    line = _only(_doc(**{"spec.objectives.0.sli": {"raw": {"errorRatio": expression}}}))
    assert line.startswith("spec.objectives[0].sli.raw.errorRatio: "), line


def test_latency_threshold_not_a_bucket_lists_buckets() -> None:
    line = _only(_doc(**{"spec.objectives.1.sli.latency.threshold": 0.25}))
    assert line.startswith("spec.objectives[1].sli.latency"), line
    assert "threshold: 0.25 is not a bucket boundary of http_request_duration_seconds" in line
    assert "(buckets: 0.1, 0.3, 1)" in line


def test_latency_threshold_on_a_bucket_and_suffix_stripped() -> None:
    sla = parse_sla(_doc(**{"spec.objectives.1.sli.latency.histogram": "http_request_duration_seconds_bucket",
                            "spec.objectives.1.sli.latency.threshold": 1}))
    latency = sla.spec.objectives[1].sli.latency
    assert latency is not None
    assert (latency.histogram, latency.threshold) == ("http_request_duration_seconds", 1.0)


def test_latency_selector_must_be_braced_matchers() -> None:
    line = _only(_doc(**{"spec.objectives.1.sli.latency.selector": 'service="checkout"'}))
    assert line == ('spec.objectives[1].sli.latency.selector: must be label matchers in braces such as '
                    '{service="checkout"}, got "service="checkout""')


@pytest.mark.parametrize(("changes", "shown"), [
    ({"spec.creditCapp": "50"}, "spec.creditCapp"),
    ({"spec.objectives.0.error_ratio": "x"}, "spec.objectives[0].error_ratio"),
    ({"spec.alerting": {"runBook": "https://x"}}, "spec.alerting.runBook"),
])
def test_unknown_field_hints_camel_case(changes: dict[str, Any], shown: str) -> None:
    assert _only(_doc(**changes)) == f"{shown}: unknown field (check the spelling; fields are camelCase)"


def test_snake_case_spelling_of_a_field_is_unknown() -> None:
    """The CRD only knows camelCase: Kubernetes would silently prune `credit_cap`, so a YAML file must not
    accept it either, or the same SLA means one thing to `pledge validate` and another to the operator."""
    cases: list[tuple[dict[str, Any], str]] = [({"spec.credit_cap": "50"}, "spec.credit_cap"),
                                               ({"spec.alerting": {"absent_for": "5m"}}, "spec.alerting.absent_for")]
    for changes, shown in cases:
        assert _only(_doc(**changes)) == f"{shown}: unknown field (check the spelling; fields are camelCase)"


@pytest.mark.parametrize("duration", ["30x", "1.5d", "d", "", "30 d"])
def test_bad_duration(duration: str) -> None:
    line = _only(_doc(**{"spec.window": {"rolling": duration}}))
    assert line == f'spec.window.rolling: must be a duration such as "5m", "1h30m" or "30d", got "{duration}"'


def test_zero_and_numeric_durations() -> None:
    assert _only(_doc(**{"spec.window": {"rolling": "0d"}})) == 'spec.window.rolling: must be longer than zero, got "0d"'
    line = _only(_doc(**{"spec.window": {"rolling": 30}}))
    assert line == 'spec.window.rolling: must be a duration string such as "5m", got 30'


def test_rolling_shorter_than_a_day() -> None:
    line = _only(_doc(**{"spec.window": {"rolling": "23h59m"}}))
    assert line == 'spec.window.rolling: must be at least 1d (shorter periods leave no room for burn-rate alerts), got "23h59m"'
    assert parse_sla(_doc(**{"spec.window": {"rolling": "1d"}})).spec.window.rolling == 86_400


@pytest.mark.parametrize("window", [{"rolling": "30d", "calendar": "month"}, {}, {"timezone": "UTC"}])
def test_window_needs_exactly_one_form(window: dict[str, str]) -> None:
    line = _only(_doc(**{"spec.window": window}))
    assert line == 'spec.window: set exactly one of "rolling" (e.g. 30d) or "calendar" (week, month or quarter)'


def test_calendar_must_be_week_month_or_quarter() -> None:
    line = _only(_doc(**{"spec.window": {"calendar": "year"}}))
    assert line.startswith("spec.window.calendar: "), line


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "UTC+1", "europe/berlin "])
def test_unknown_timezone(zone: str) -> None:
    line = _only(_doc(**{"spec.window": {"calendar": "month", "timezone": zone}}))
    assert line == f'spec.window.timezone: unknown time zone "{zone}" (use an IANA name such as "Europe/Berlin")'


@pytest.mark.parametrize("zone", ["Europe", "America", "", "../etc", "zone.tab"])
def test_timezone_that_is_no_zone_file_is_a_spec_error(zone: str) -> None:
    """A directory of the zone database ("Europe") is not a zone: a SpecError, not an OSError."""
    line = _only(_doc(**{"spec.window": {"calendar": "month", "timezone": zone}}))
    assert line.startswith("spec.window.timezone: unknown time zone"), line


def test_timezone_of_exclusion_is_checked_too() -> None:
    exclusion = {"schedule": "daily", "at": "02:00", "duration": "1h", "timezone": "Europe"}
    line = _only(_doc(**{"spec.exclusions": [exclusion]}))
    assert line.startswith("spec.exclusions[0].timezone: unknown time zone"), line


def test_exclusion_end_not_after_start() -> None:
    same = {"start": "2026-11-01T02:00:00Z", "end": "2026-11-01T03:00:00+01:00"}  # the same instant
    line = _only(_doc(**{"spec.exclusions": [same]}))
    assert line.startswith("spec.exclusions[0]"), line
    assert "end: must be after start (2026-11-01T02:00:00+00:00), got 2026-11-01T02:00:00+00:00" in line
    before = {"start": "2026-11-01T04:00:00Z", "end": "2026-11-01T02:00:00Z"}
    assert "end: must be after start" in _only(_doc(**{"spec.exclusions": [before]}))


def test_exclusion_times_are_normalised_to_utc() -> None:
    sla = parse_sla(_doc(**{"spec.exclusions": [{"start": "2026-11-01T03:00:00+01:00", "end": "2026-11-01T04:00:00Z"}]}))
    start = sla.spec.exclusions[0].start
    assert start is not None
    offset = start.utcoffset()
    assert offset is not None and offset.total_seconds() == 0
    assert start.hour == 2


def test_naive_datetime() -> None:
    naive = {"start": "2026-11-01T02:00:00", "end": "2026-11-01T04:00:00Z"}
    line = _only(_doc(**{"spec.exclusions": [naive]}))
    assert line == ('spec.exclusions[0].start: must include a time zone, e.g. "2026-11-01T02:00:00Z", '
                    'got "2026-11-01T02:00:00"')


@pytest.mark.parametrize(("exclusion", "reason"), [
    ({"schedule": "weekly", "at": "02:00", "duration": "2h"}, '"day" is required for a weekly schedule'),
    ({"schedule": "daily", "day": "sunday", "at": "02:00", "duration": "2h"}, "not allowed for a daily one"),
    ({"schedule": "daily", "duration": "2h"}, 'schedule "daily" needs "at" (HH:MM) and "duration"'),
    ({"schedule": "daily", "at": "02:00", "duration": "2h", "start": "2026-11-01T02:00:00Z"},
     'a recurring "schedule" takes "at" and "duration", not "start"/"end"'),
    ({"reason": "no times"}, 'set "start" and "end", or a recurring "schedule"'),
])
def test_exclusion_form(exclusion: dict[str, str], reason: str) -> None:
    line = _only(_doc(**{"spec.exclusions": [{"reason": "x", **exclusion}]}))
    assert line.startswith("spec.exclusions[0]"), line
    assert reason in line


@pytest.mark.parametrize(("schedule", "duration"), [("daily", "1d"), ("daily", "25h"), ("weekly", "7d"), ("weekly", "1w")])
def test_exclusion_duration_not_shorter_than_period(schedule: str, duration: str) -> None:
    exclusion = {"schedule": schedule, "at": "02:00", "duration": duration}
    if schedule == "weekly":
        exclusion["day"] = "monday"
    line = _only(_doc(**{"spec.exclusions": [exclusion]}))
    assert line.startswith("spec.exclusions[0]"), line
    assert f"duration: must be shorter than the {schedule} period" in line


@pytest.mark.parametrize("at", ["24:00", "2:00", "02:60", "0200"])
def test_exclusion_time_of_day(at: str) -> None:
    line = _only(_doc(**{"spec.exclusions": [{"schedule": "daily", "at": at, "duration": "1h"}]}))
    assert line == f'spec.exclusions[0].at: must be a time of day "HH:MM" (24 h), got "{at}"'


@pytest.mark.parametrize(("grouping", "named"), [(["sla"], "sla"), (["customer", "objective", "le"], "le, objective"),
                                                 (["sla_namespace"], "sla_namespace")])
def test_reserved_grouping_label(grouping: list[str], named: str) -> None:
    line = _only(_doc(**{"spec.grouping": grouping}))
    assert line == f"spec.grouping: reserved label name(s) {named}: cannot group by them"


def test_grouping_label_syntax_and_duplicates() -> None:
    assert _only(_doc(**{"spec.grouping": ["customer", "customer"]})) == "spec.grouping: lists a label more than once"
    assert _only(_doc(**{"spec.grouping": ["bad-label"]})).startswith("spec.grouping[0]: ")


def test_reserved_alert_label() -> None:
    line = _only(_doc(**{"spec.alerting": {"labels": {"severity": "critical", "team": "x"}}}))
    assert line == "spec.alerting.labels: reserved label name(s) severity: set by pledge itself"


PREDICTION = "spec.alerting.breachPrediction"


def test_breach_prediction_is_off_by_default_with_documented_defaults() -> None:
    prediction = parse_sla(_doc()).spec.alerting.breach_prediction
    assert (prediction.enabled, prediction.min_probability, int(prediction.for_), prediction.severity) == (
        False, Decimal("0.8"), 900, "ticket")
    enabled = parse_sla(_doc(**{"spec.alerting": {"breachPrediction": {"enabled": True}}})).spec.alerting
    assert enabled.breach_prediction.enabled and enabled.breach_prediction.min_probability == Decimal("0.8")


@pytest.mark.parametrize(("written", "probability"), [("0.8", "0.8"), ("0.95", "0.95"), (".5", "0.5"), (0.9, "0.9")])
def test_min_probability_as_fraction(written: Any, probability: str) -> None:
    document = _doc(**{"spec.alerting": {"breachPrediction": {"enabled": True, "minProbability": written}}})
    prediction = parse_sla(document).spec.alerting.breach_prediction
    assert prediction.min_probability == Decimal(probability)
    assert prediction.model_dump(by_alias=True)["minProbability"] == probability


@pytest.mark.parametrize(("written", "fraction"), [("80%", "0.8"), ("92.5%", "0.925"), ("0.5%", "0.005"),
                                                   ("100%", "1"), ("80 %", "0.8")])
def test_min_probability_is_never_written_with_a_percent_sign(written: str, fraction: str) -> None:
    """One rule for every percentage-like field: no "%" (a percentage field is one already, a probability a fraction)."""
    line = _only(_doc(**{"spec.alerting": {"breachPrediction": {"minProbability": written}}}))
    number = written.removesuffix("%").strip()
    assert line == f'{PREDICTION}.minProbability: must be a fraction without "%" (write "{fraction}" for {number} %), got "{written}"'


@pytest.mark.parametrize("written", ["1", "0", "0.0", "1.5", "80", 1, 0])
def test_min_probability_outside_the_open_interval(written: Any) -> None:
    line = _only(_doc(**{"spec.alerting": {"breachPrediction": {"minProbability": written}}}))
    assert line == (f'{PREDICTION}.minProbability: must be between 0 and 1 exclusive '
                    f'(a fraction such as "0.8"), got "{written}"')


@pytest.mark.parametrize("written", ["high", "0.8.1", "-0.5", "0.8%%", True, [0.8]])
def test_min_probability_not_a_number(written: Any) -> None:
    line = _only(_doc(**{"spec.alerting": {"breachPrediction": {"minProbability": written}}}))
    assert line.startswith(f'{PREDICTION}.minProbability: must be a probability such as "0.8", got '), line


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("for", "soon", 'must be a duration such as "5m", "1h30m" or "30d", got "soon"'),
    ("for", "0m", 'must be longer than zero, got "0m"'),
    ("severity", "critical", "must be 'page' or 'ticket', got \"critical\""),
    ("enabled", "maybe", "must be true or false, got \"maybe\""),
    ("minProb", "0.9", "unknown field (check the spelling; fields are camelCase)"),
    ("min_probability", "0.9", "unknown field (check the spelling; fields are camelCase)"),
])
def test_breach_prediction_field_errors_name_the_field(field: str, value: str, reason: str) -> None:
    line = _only(_doc(**{"spec.alerting": {"breachPrediction": {"enabled": True, field: value}}}))
    assert line == f"{PREDICTION}.{field}: {reason}"


def test_duplicate_objective_names() -> None:
    document = _doc(**{"spec.objectives.1.name": "availability"})
    assert _only(document) == "spec.objectives: objective names must be unique, repeated: availability"


@pytest.mark.parametrize("credits", [
    [{"below": "99.9", "percent": 25}, {"below": "99", "percent": 10}],
    [{"below": "95", "percent": 10}, {"below": "99.9", "percent": 25}],  # order written does not matter
])
def test_credit_percent_must_grow_as_sli_falls(credits: list[dict[str, Any]]) -> None:
    line = _only(_doc(**{"spec.credits": credits}))
    assert line == "spec.credits: credit percent must grow as 'below' falls (a worse SLI never earns less credit)"


def test_credits_sorted_and_bounded() -> None:
    sla = parse_sla(_doc(**{"spec.credits": [{"below": "95", "percent": 100}, {"below": "99.9", "percent": "10"}]}))
    assert [(c.below, c.percent) for c in sla.spec.credits] == [(Decimal("99.9"), Decimal(10)), (Decimal(95), Decimal(100))]
    line = _only(_doc(**{"spec.credits": [{"below": "99", "percent": "101"}]}))
    assert line == 'spec.credits[0].percent: must be at most 100 (a percentage), got "101"'
    line = _only(_doc(**{"spec.credits": [{"below": "99", "percent": 10}, {"below": "99.0", "percent": 20}]}))
    assert line == "spec.credits: two credit tiers share the same 'below' threshold"


def test_every_fault_is_reported_at_once() -> None:
    document = _doc(**{"spec.objectives.0.target": "100", "spec.window": {"rolling": "30x"}, "spec.bogus": 1})
    problems = _problems(document)
    assert sorted(problems) == sorted([
        'spec.objectives[0].target: must be between 0 and 100 exclusive, got "100"',
        'spec.window.rolling: must be a duration such as "5m", "1h30m" or "30d", got "30x"',
        "spec.bogus: unknown field (check the spelling; fields are camelCase)",
    ])


@pytest.mark.parametrize(("value", "bad"), [
    ({"apiVersion": "pledge.dev/v1"}, "apiVersion"),
    ({"kind": "SLA"}, "kind"),
])
def test_api_version_and_kind(value: dict[str, str], bad: str) -> None:
    line = _only({**MINIMAL, **value})
    assert line.startswith(f"{bad}: "), line


def test_missing_spec_and_objectives() -> None:
    assert _only({k: v for k, v in MINIMAL.items() if k != "spec"}) == "spec: required field is missing"
    assert _only(_doc(**{"spec.objectives": []})).startswith("spec.objectives: ")


@pytest.mark.parametrize(("changes", "expected"), [
    ({"spec.objectives.0.warning": "99.9"}, "spec.objectives[0].warning: "),
    ({"spec.window": {"rolling": "30m"}}, "spec.window.rolling: "),
    ({"spec.exclusions": [{"start": "2026-11-01T04:00:00Z", "end": "2026-11-01T02:00:00Z"}]}, "spec.exclusions[0].end: "),
    ({"spec.exclusions": [{"schedule": "daily", "at": "02:00", "duration": "1d"}]}, "spec.exclusions[0].duration: "),
    ({"spec.objectives.1.sli.latency.threshold": 0.25}, "spec.objectives[1].sli.latency.threshold: "),
])
def test_cross_field_errors_name_the_exact_field_path(changes: dict[str, Any], expected: str) -> None:
    """A fault found by a model validator must still name the field it is about, not only its parent:
    `spec.objectives[0].warning: must be above ...`, not `spec.objectives[0]: warning: must be above ...`."""
    line = _only(_doc(**changes))
    assert line.startswith(expected), line


@pytest.mark.parametrize("field", ["errors", "good", "total"])
def test_null_selector_is_a_spec_error(field: str) -> None:
    """`errors:` with nothing after it is YAML null: a SpecError, not AttributeError from .strip()."""
    document = _doc()
    document["spec"]["objectives"][0]["sli"]["ratio"][field] = None
    try:
        sla = parse_sla(document)
    except SpecError as exc:
        assert all(p.startswith("spec.objectives[0].sli.ratio") for p in exc.problems), exc.problems
        return
    # taking an explicit null as "not set" is fine too (good: null next to errors), as long as it stays valid
    ratio = sla.spec.objectives[0].sli.ratio
    assert field == "good" and ratio is not None and ratio.good is None and ratio.errors and ratio.total


# --- YAML files ------------------------------------------------------------------------------------


def _yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def test_multi_document_yaml() -> None:
    second = _doc(**{"metadata.name": "other"})
    slas = parse_yaml(_yaml(MINIMAL) + "---\n" + _yaml(second) + "---\n")
    assert [s.metadata.name for s in slas] == ["checkout", "other"]


def test_multi_document_errors_are_prefixed_with_the_document_number() -> None:
    bad = _doc(**{"spec.objectives.1.target": "100", "spec.window": {"rolling": "30x"}})
    text = _yaml(MINIMAL) + "---\n" + _yaml(bad)
    with pytest.raises(SpecError) as caught:
        parse_yaml(text, source="slas.yaml")
    assert sorted(caught.value.problems) == sorted([
        'document 2: spec.objectives[1].target: must be between 0 and 100 exclusive, got "100"',
        'document 2: spec.window.rolling: must be a duration such as "5m", "1h30m" or "30d", got "30x"',
    ])
    assert caught.value.source == "slas.yaml"
    assert str(caught.value).startswith("slas.yaml: invalid SLA:\n  document 2: ")


def test_errors_in_several_documents_are_all_listed() -> None:
    text = "\n---\n".join(_yaml(_doc(**{"spec.objectives.0.target": t})) for t in ("0", "99", "abc"))
    with pytest.raises(SpecError) as caught:
        parse_yaml(text)
    assert [p.split(":")[0] for p in caught.value.problems] == ["document 1", "document 3"]


def test_single_document_errors_have_no_prefix() -> None:
    with pytest.raises(SpecError) as caught:
        parse_yaml(_yaml(_doc(**{"spec.objectives.0.target": "0"})))
    assert caught.value.problems == ['spec.objectives[0].target: must be between 0 and 100 exclusive, got "0"']


@pytest.mark.parametrize("text", ["spec: [unclosed\n", "a: b: c\n", "key: 'open\n", "\t- tab\n"])
def test_invalid_yaml(text: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_yaml(text, source="broken.yaml")
    (problem,) = caught.value.problems
    assert problem.startswith("(document): not valid YAML: "), problem
    assert str(caught.value).startswith("broken.yaml: invalid SLA:")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n---\n"])
def test_empty_file(text: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_yaml(text)
    assert caught.value.problems == ["(document): the file holds no SLA"]


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "list"), ("just text\n", "str"), ("42\n", "int")])
def test_document_that_is_not_a_mapping(text: str, kind: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_yaml(text)
    assert caught.value.problems == [
        f"(document): expected a mapping with apiVersion, kind, metadata and spec, got {kind}"
    ]


# --- fuzzing: nothing but SpecError may escape -------------------------------------------------------

LEAF_SPELLINGS = [
    "30d", "0s", "1h", "99.9", "100", "0", "-1", "1e-05", "999.9", "Europe", "Europe/Berlin", "x{", "rate(x[5m])",
    "02:00", "24:00", "weekly", "daily", "monday", '{a="b"}', "2026-11-01T02:00:00", "2026-11-01T02:00:00Z",
    "{{window}}", "page", "none", "sre-workbook", "month", "http_requests_total", "",
]
LEAVES = (st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=True)
          | st.text(max_size=12) | st.sampled_from(LEAF_SPELLINGS))
KEYS = st.sampled_from([
    "spec", "metadata", "name", "target", "warning", "window", "rolling", "calendar", "timezone", "sli", "ratio",
    "errors", "good", "total", "latency", "boolGauge", "raw", "errorRatio", "exclusions", "schedule", "at",
    "duration", "day", "start", "end", "alerting", "tiers", "longWindow", "budgetConsumed", "credits", "below",
    "percent", "grouping", "objectives", "threshold", "buckets", "histogram", "selector", "labels",
]) | st.text(max_size=8)
JSONISH = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
                       max_leaves=12)
EXAMPLE_DATA = [yaml.safe_load(p.read_text()) for p in EXAMPLES]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _parse_or_spec_error(document: Any) -> ServiceLevelAgreement | None:
    try:
        return parse_sla(document)
    except SpecError as exc:
        assert exc.problems and all(isinstance(p, str) and ": " in p for p in exc.problems), exc.problems
        return None


@settings(max_examples=150)
@given(st.dictionaries(KEYS, JSONISH, max_size=5) | JSONISH)
def test_arbitrary_documents_raise_only_spec_error(document: Any) -> None:
    _parse_or_spec_error(document)
    _parse_or_spec_error({**MINIMAL, "spec": document})


@settings(max_examples=400)
@given(st.sampled_from(range(len(EXAMPLE_DATA))), st.data(), LEAVES | JSONISH)
def test_mutated_examples_raise_only_spec_error(index: int, data: st.DataObject, value: Any) -> None:
    document = copy.deepcopy(EXAMPLE_DATA[index])
    path = data.draw(st.sampled_from(_paths(document)[1:]), label="path")
    node: Any = document
    for part in path[:-1]:
        node = node[part]
    if data.draw(st.booleans(), label="delete") and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    sla = _parse_or_spec_error(document)
    if sla is not None:
        assert parse_sla(sla.model_dump(by_alias=True, exclude_none=True)) == sla


# --- the YAML reader: duplicate keys, deep nesting, invalid text ------------------------------------


def _yaml_problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_yaml(text, source="sla.yaml")
    return caught.value.problems


def test_duplicate_key_names_both_lines() -> None:
    text = _yaml(MINIMAL).replace("  service: checkout\n", "  service: checkout\n  owner: a\n  owner: b\n")
    first = text.splitlines().index("  owner: a") + 1
    assert _yaml_problems(text) == [
        f'(document): duplicate key "owner" on lines {first} and {first + 1} (YAML would keep only the last)']


def test_duplicate_key_in_a_flow_mapping() -> None:
    text = _yaml(MINIMAL).replace("metadata:\n", "metadata: {name: a, name: b}\nignored:\n")
    assert _yaml_problems(text) == ['(document): duplicate key "name" on line 3 (YAML would keep only the last)']


def test_merge_keys_may_be_overridden() -> None:
    text = "base: &base {service: checkout}\n" + _yaml(MINIMAL).replace("spec:\n", "spec:\n  <<: *base\n")
    problems = _yaml_problems(text)  # only the extra top-level key is wrong, the override is fine
    assert problems == ["base: unknown field (check the spelling; fields are camelCase)"]


@pytest.mark.parametrize("text", ["spec: " + "[" * 5000 + "]" * 5000 + "\n",
                                  "spec:\n" + "".join("  " * i + "a:\n" for i in range(1, 1500))])  # 2.2 MiB: under MAX_BYTES
def test_deep_nesting_is_a_spec_error(text: str) -> None:
    (problem,) = _yaml_problems(text)
    assert problem.startswith("(document): nested deeper than 64 levels at line "), problem


def test_lone_surrogate_is_a_field_error() -> None:
    text = _yaml(MINIMAL).replace("  service: checkout\n", '  service: checkout\n  owner: "team\\ud800"\n')
    assert _yaml_problems(text) == ["spec.owner: is not valid Unicode text (it holds a lone surrogate such as \\ud800)"]
    text = _yaml(MINIMAL).replace("  service: checkout\n", '  service: checkout\n  alerting: {labels: {"\\udfff": x}}\n')
    assert _yaml_problems(text) == [
        "spec.alerting.labels: a key is not valid Unicode text (it holds a lone surrogate such as \\ud800)"]


# --- durations: Prometheus' range and ASCII digits ---------------------------------------------------


@pytest.mark.parametrize("duration", ["3651d", "99999999999999999999d", "1" + "0" * 5000 + "s", "522w"])
def test_duration_beyond_ten_years(duration: str) -> None:
    line = _only(_doc(**{"spec.window": {"rolling": duration}}))
    assert line == f'spec.window.rolling: must be at most 3650d (10 years, the longest duration pledge accepts), got "{duration}"'


def test_ten_years_is_the_longest_duration() -> None:
    assert parse_sla(_doc(**{"spec.window": {"rolling": "3650d"}})).spec.window.rolling == 3650 * 86_400
    line = _only(_doc(**{"spec.alerting": {"absentFor": "99999999999999999999d"}}))
    assert line.startswith("spec.alerting.absentFor: must be at most 3650d (10 years"), line


@pytest.mark.parametrize("duration", ["٣٠d", "3٠d", "۳۰d", "３０d"])
def test_duration_digits_are_ascii(duration: str) -> None:
    """Arabic-Indic (and other non-ASCII) digits are refused, as the CRD's [0-9] pattern refuses them."""
    line = _only(_doc(**{"spec.window": {"rolling": duration}}))
    assert line == f'spec.window.rolling: must be a duration such as "5m", "1h30m" or "30d", got "{duration}"'


# --- percentages: no "%", at most 100, and no fraction where a percentage goes ----------------------


@pytest.mark.parametrize(("field", "written"), [
    ("spec.objectives.0.target", "99.9%"), ("spec.objectives.0.warning", "99.95 %"), ("spec.creditCap", "50%"),
    ("spec.credits", [{"below": "99%", "percent": "10"}]), ("spec.credits", [{"below": "99", "percent": "10%"}]),
])
def test_percentages_are_written_without_a_percent_sign(field: str, written: Any) -> None:
    line = _only(_doc(**{field: written}))
    assert 'must be written without "%" (the field is a percentage: "99.9%" is written "99.9")' in line, line


@pytest.mark.parametrize(("target", "meant"), [("0.999", "99.9"), (0.99, "99"), ("0.5", "50"), ("0.9995", "99.95")])
def test_target_below_one_is_a_fraction_written_by_mistake(target: Any, meant: str) -> None:
    line = _only(_doc(**{"spec.objectives.0.target": target}))
    assert line == (f'spec.objectives[0].target: must be at least 1: it is a percentage, so "{target}" means '
                    f'{target} %; did you mean {meant}?')


def test_credit_below_one_is_a_fraction_written_by_mistake() -> None:
    line = _only(_doc(**{"spec.credits": [{"below": "0.999", "percent": "10"}]}))
    assert line.startswith('spec.credits[0].below: must be at least 1: it is a percentage, so "0.999" means'), line
    assert line.endswith("did you mean 99.9?"), line


@pytest.mark.parametrize("written", ["150", "100.5", "999", "1000"])
def test_percentages_above_100(written: str) -> None:
    assert _only(_doc(**{"spec.creditCap": written})) == f'spec.creditCap: must be at most 100 (a percentage), got "{written}"'
    line = _only(_doc(**{"spec.objectives.0.target": written}))
    assert line == f'spec.objectives[0].target: must be at most 100 (a percentage), got "{written}"'


# --- service credits: only for breaches, within 0-100 ------------------------------------------------


def test_credit_tier_above_every_target_is_refused() -> None:
    credits = [{"below": "99.95", "percent": "5"}, {"below": "99.9", "percent": "10"}]
    line = _only(_doc(**{"spec.credits": credits}))
    assert line == ("spec.credits: below 99.95 is above the target of every objective (highest: 99.9): "
                    "such a tier would credit an SLA that meets its target")


def test_credit_tier_between_two_targets_applies_to_the_stricter_objective() -> None:
    """Targets 99.9 and 99: a tier below 99.5 credits availability only (pledge.slo.budget), which is fine."""
    sla = parse_sla(_doc(**{"spec.credits": [{"below": "99.5", "percent": "10"}, {"below": "99.9", "percent": "5"}]}))
    assert [c.below for c in sla.spec.credits] == [Decimal("99.9"), Decimal("99.5")]


@pytest.mark.parametrize(("field", "written", "reason"), [
    ("spec.creditCap", "150", 'must be at most 100 (a percentage), got "150"'),
    ("spec.creditCap", "-5", 'must be a percentage such as "99.9", got "-5"'),
    ("spec.credits", [{"below": "99", "percent": "-1"}], 'must be a percentage such as "99.9", got "-1"'),
    ("spec.credits", [{"below": "99", "percent": "100.1"}], 'must be at most 100 (a percentage), got "100.1"'),
    ("spec.credits", [{"below": "0", "percent": "10"}], 'must be between 0 and 100 exclusive, got "0"'),
])
def test_credit_percentages_within_0_and_100(field: str, written: Any, reason: str) -> None:
    line = _only(_doc(**{field: written}))
    assert line.endswith(reason), line
    assert line.startswith("spec.creditCap: " if field == "spec.creditCap" else "spec.credits[0]."), line


# --- label and annotation names: Prometheus' rule -----------------------------------------------------

NAME_RULE = ('is not a valid name: Prometheus label and annotation names take letters, digits and _, '
             'do not start with a digit, and names starting with "__" are Prometheus\' own')


@pytest.mark.parametrize("name", ["~", "@x", "1e2", "__a", "__name__", "a-b", "a.b", "", "é", "a\n"])
@pytest.mark.parametrize("field", ["labels", "annotations"])
def test_alert_label_and_annotation_names_follow_prometheus(field: str, name: str) -> None:
    line = _only(_doc(**{"spec.alerting": {field: {name: "x", "team": "ok"}}}))
    assert line == f'spec.alerting.{field}: "{name}" {NAME_RULE}'


@pytest.mark.parametrize("name", ["team", "_", "_1", "_team", "Team_2", "a" * 100])
def test_valid_label_and_annotation_names(name: str) -> None:
    alerting = parse_sla(_doc(**{"spec.alerting": {"labels": {name: "x"}, "annotations": {name: "y"}}})).spec.alerting
    assert alerting.labels == {name: "x"} and alerting.annotations == {name: "y"}


def test_grouping_label_may_not_start_with_two_underscores() -> None:
    assert _only(_doc(**{"spec.grouping": ["__customer"]})) == f'spec.grouping[0]: "__customer" {NAME_RULE}'


# --- alert tiers: whatever validates, generates ---------------------------------------------------------

DEFAULT_TIERS = "page-fast, page-slow, ticket-fast, ticket-slow"


def _tiers_doc(*tiers: dict[str, Any], policy: str = "sre-workbook", rolling: str = "30d") -> dict[str, Any]:
    return _doc(**{"spec.alerting": {"policy": policy, "tiers": list(tiers)}, "spec.window": {"rolling": rolling}})


def test_unknown_tier_to_disable_lists_the_default_tiers() -> None:
    line = _only(_tiers_doc({"name": "page-fsat", "enabled": False}))
    assert line == f'spec.alerting.tiers[0].name: there is no default tier "page-fsat" to disable (default tiers: {DEFAULT_TIERS})'
    line = _only(_tiers_doc({"name": "page-fast", "enabled": False}, policy="none"))
    assert line.startswith('spec.alerting.tiers[0].name: there is no default tier "page-fast" to disable'), line


@pytest.mark.parametrize("missing", ["severity", "longWindow", "budgetConsumed"])
def test_new_tier_needs_severity_long_window_and_budget(missing: str) -> None:
    tier = {"name": "custom", "severity": "ticket", "longWindow": "12h", "budgetConsumed": "5"}
    del tier[missing]
    line = _only(_tiers_doc(tier))
    assert line == (f'spec.alerting.tiers[0]: "custom" is not a default tier ({DEFAULT_TIERS}), so as a new tier it '
                    f"needs severity, longWindow and budgetConsumed (missing: {missing})")


def test_default_tier_under_policy_none_is_a_new_tier() -> None:
    line = _only(_tiers_doc({"name": "page-fast", "longWindow": "2h"}, policy="none"))
    assert line.startswith('spec.alerting.tiers[0]: "page-fast" is not a default tier (none under policy "none")'), line
    assert line.endswith("(missing: severity, budgetConsumed)"), line


def test_tier_names_are_unique() -> None:
    line = _only(_tiers_doc({"name": "page-fast", "longWindow": "2h"}, {"name": "page-fast", "enabled": False}))
    assert line == "spec.alerting.tiers: tier names must be unique, repeated: page-fast"


@pytest.mark.parametrize(("tier", "line"), [
    ({"name": "page-fast", "shortWindow": "1h"}, 'spec.alerting.tiers[1].shortWindow: must be shorter than longWindow (1h), got "1h"'),
    ({"name": "page-fast", "shortWindow": "2h"}, 'spec.alerting.tiers[1].shortWindow: must be shorter than longWindow (1h), got "2h"'),
    ({"name": "custom", "severity": "page", "longWindow": "1h", "shortWindow": "90m", "budgetConsumed": "2"},
     'spec.alerting.tiers[1].shortWindow: must be shorter than longWindow (1h), got "1h30m"'),
    ({"name": "page-fast", "longWindow": "5m"},
     'spec.alerting.tiers[1].longWindow: must be longer than its short window (5m: longWindow / 12, at least 5m), '
     'got "5m"; set a longer longWindow or a shortWindow'),
    ({"name": "ticket-slow", "longWindow": "31d"}, 'spec.alerting.tiers[1].longWindow: must not be longer than the period (30d), got "31d"'),
])
def test_tier_windows_are_checked_against_each_other_and_the_period(tier: dict[str, str], line: str) -> None:
    assert _only(_tiers_doc({"name": "ticket-fast", "enabled": False}, tier)) == line


def test_calendar_period_bounds_the_long_window() -> None:
    document = _doc(**{"spec.window": {"calendar": "week"}, "spec.alerting": {"tiers": [{"name": "ticket-slow", "longWindow": "8d"}]}})
    assert _only(document) == 'spec.alerting.tiers[0].longWindow: must not be longer than the period (7d), got "8d"'


@settings(max_examples=200)
@given(name=st.sampled_from(["page-fast", "ticket-slow", "custom"]), enabled=st.booleans(),
       severity=st.sampled_from([None, "page"]), long=st.sampled_from([None, "5m", "10m", "1h", "6d", "31d"]),
       short=st.sampled_from([None, "1m", "5m", "1h", "2d"]), budget=st.sampled_from([None, "2"]),
       policy=st.sampled_from(["sre-workbook", "none"]), rolling=st.sampled_from(["1d", "7d", "30d"]))
def test_a_valid_tier_always_generates(name: str, enabled: bool, severity: str | None, long: str | None,
                                       short: str | None, budget: str | None, policy: str, rolling: str) -> None:
    """Validation and pledge.slo.windows agree: what validates yields alerts, never an exception."""
    fields = {"severity": severity, "longWindow": long, "shortWindow": short, "budgetConsumed": budget}
    tier = {"name": name, "enabled": enabled, **{k: v for k, v in fields.items() if v is not None}}
    sla = _parse_or_spec_error(_tiers_doc(tier, policy=policy, rolling=rolling))
    if sla is not None:
        assert generate(sla)


@pytest.mark.parametrize("field", ["owner", "customer", "tier"])
def test_series_label_text_may_not_open_a_template(field: str) -> None:
    """customer, tier and owner label recorded series too, which vmalert templates and Prometheus does not."""
    line = _only(_doc(**{f"spec.{field}": "{{ .Foo"}))
    assert line.startswith(f'spec.{field}: must not contain "{{{{": the value labels recorded series too'), line
    assert parse_sla(_doc(**{f"spec.{field}": "a }} b"})).spec.model_dump()[field] == "a }} b"


def _marks(node: yaml.Node) -> list[tuple[str, int, int]]:
    """Every node's tag and start position, depth first."""
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    return [(node.tag, node.start_mark.line, node.start_mark.column)] + [m for c in children for m in _marks(c)]


def _reference(text: str) -> list[tuple[list[tuple[str, int, int]], Any]] | str:
    """What the pure-Python reader reads: each non-empty document's node marks and data, or its error."""
    reference = StrictLoader(text)
    found = []
    try:
        while reference.check_node():
            node = reference.get_node()
            assert node is not None
            found.append((_marks(node), reference.construct_document(node)))
    except yaml.YAMLError as exc:
        return str(exc)
    return [f for f in found if f[1] is not None]


def _read(text: str) -> list[tuple[list[tuple[str, int, int]], Any]] | str:
    try:
        return [(_marks(n), d) for n, d in read_documents(text)]
    except yaml.YAMLError as exc:
        return str(exc)


@pytest.mark.parametrize("path", EXAMPLES + sorted((ROOT / "crds").glob("*.yaml")), ids=lambda p: p.name)
def test_libyaml_reads_what_the_reference_reader_reads(path: Path) -> None:
    """read_documents takes libyaml's parser (6x faster) for text it accepts: the data and every
    node's line and column (which `pledge validate` reports) must be the pure-Python reader's."""
    text = path.read_text(encoding="utf-8")
    assert _read(text) == _reference(text) and isinstance(_read(text), list)


@pytest.mark.parametrize("text", ["a: 1\t# tab before a comment\n", "a:\t1\n", "{a: 1,\n\tb: 2}\n", "a: x\ty\n",
                                  "a: 1\n---\n\ufeffb: 2\n", "[" * 64 + "1" + "]" * 64, "[" * 63 + "1" + "]" * 63,
                                  "a:\n" + "".join("  " * i + "a:\n" for i in range(1, 64)) + "  " * 64 + "a: 1\n"])
def test_text_libyaml_reads_otherwise_goes_to_the_reference(text: str) -> None:
    """Tabs and byte order marks libyaml allows where the reference refuses or reads them otherwise,
    and nesting at the limit (the reference counts the leaves): the reference's answer, error or not."""
    assert _read(text) == _reference(text)
