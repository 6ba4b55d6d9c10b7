"""The rule-file writer (pledge.rules.render.to_yaml): whatever text an SLA carries, the file reads back
as exactly the data written (PyYAML), and Prometheus and vmalert load it (the integration tests)."""

from __future__ import annotations

import io
import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pledge.rules import Rule, RuleGroup, rule_file, to_yaml
from pledge.rules.render import _UNBOUNDED, FastRuleFileDumper, RuleFileDumper
from pledge.testing import check_rules
from pledge.tsdb.promtool import promtool

# the characters behind the fuzzing campaign's broken and altered files, and their neighbours
TRICKY = [
    "\r", "\n", "\x85", "\u2028", "\u2029", "\ufeff", "\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b",
    "\x7f", "\x80", "\x9f", "\xa0", "\t", " ", ":", "#", "-", "?", "'", '"', "\\", "|", ">", "{", "}", "[", "]",
    ",", "&", "*", "!", "%", "@", "`", "\ufffe", "\uffff", "\U0001f600", "\U0010ffff", "\ue000",
]
EXPLICIT = [
    # carriage returns and the line breaks only YAML 1.1 knows (NEL, LS, PS)
    "\r", "a\rb", "a\r\nb", "line\r\n", "\x85", "a\x85b", "a\x85", "\u2028", "a\u2028b", "a\u2029b", "\u2029\n",
    # tabs: after a colon, before a comment sign, leading, trailing, alone
    "key:\tvalue", "a:\t", "a\t#b", "a \t# b", "x\t#", "trailing\t", "\tleading", "\t", "a\t\nb",
    # C0 and C1 controls, DEL, BOM and non-characters
    "\x00", "a\x00b", "\x01\x02\x03", "\x07", "\x1b[31mred\x1b[0m", "\x7f", "\x80", "\x9f", "\x9b", "\ufeff",
    "\ufeffstart", "mid\ufeffdle", "\ufffe", "\uffff", "\U0010ffff", "\U0001f600 emoji", "caf\xe9", "\xa0",
    # spaces that plain style would lose
    " leading", "trailing ", "  ", " ", "", "a  b", "a \nb", "a\n b", " a\nb", "\n", "\n\n", "\na", "a\n", "a\n\n",
    "a\n\n\n", "\n a", "a\n  \nb",
    # text other readers take for numbers, booleans, null, dates, merge keys, documents
    "1e2", "1E+2", "+1", "-1", "0", "007", "0o17", "0x1F", "0b101", "1_000", "1:20", "1.5", ".5", "5.", "+inf",
    "-Infinity", ".inf", ".NaN", "nan", "yes", "Yes", "no", "NO", "on", "Off", "y", "Y", "n", "N", "true", "False",
    "null", "Null", "~", "2026-01-01", "2026-01-01T00:00:00Z", "2026-01-01 10:00:00 +01:00", "=", "<<", "---", "...",
    "--- x", "... x",
    # indicators at the start, comment signs and mapping colons inside
    "- item", "-", "? x", "?", ": x", ":", "#x", "a #b", "a: b", "a:", "a:b", "|", "|-", ">", "@x", "`x", "%x",
    "!x", "!!str", "&x", "*x", "'q'", '"q"', "{{ $value | humanizePercentage }}", "[a]", "{a: 1}", "a, b",
    # plain-looking text that must stay plain-looking text
    "5m", "1h55m", "30d rolling", "sum(rate(x[5m])) > 0.001", "1 - x / 0.001", "http://x/y#z", "a'b", 'a"b',
    "multi\nline\ndescription\n", "multi\nline without end", "  indented\n  block\n",
]
SAMPLE = "\x85\u2028\u2029\r\ufeff\x00\x1b\t:\t# x\t"  # one of each, for the files Prometheus reads


def same(a: object, b: object) -> bool:
    """Equal and of the same types all the way down (True == 1, 1 == 1.0 would hide a changed type)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(same(k, j) and same(a[k], b[j]) for k, j in zip(a, b))
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        assert isinstance(b, float)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def round_trips(data: object) -> str:
    text = to_yaml(data)
    assert same(yaml.safe_load(text), data), text
    assert "&id" not in text and "*id" not in text
    return text


# --- the property: any structure of any text reads back the same -----------------------------------------

TEXT = st.text(st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(TRICKY)), max_size=30)
SCALARS = st.one_of(TEXT, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(TEXT, inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=300)
@given(st.dictionaries(TEXT, DATA, max_size=6))
def test_any_mapping_reads_back_exactly(data: dict[str, Any]) -> None:
    round_trips(data)


@settings(max_examples=300)
@given(DATA)
def test_any_value_reads_back_exactly(data: object) -> None:
    round_trips(data)


@settings(max_examples=300)
@given(TEXT)
def test_the_fast_analysis_is_pyyaml_s_own(text: str) -> None:
    """The writer's shortcut for plain-beyond-doubt text gives PyYAML's own verdict on every string."""
    ours = RuleFileDumper(io.StringIO(), allow_unicode=True).analyze_scalar(text)
    theirs = yaml.SafeDumper(io.StringIO(), allow_unicode=True).analyze_scalar(text)
    assert vars(ours) == vars(theirs)


NAME = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,15}", fullmatch=True)


@settings(max_examples=300)
@given(st.dictionaries(NAME, st.one_of(TEXT, st.lists(TEXT, max_size=3), st.dictionaries(NAME, TEXT, max_size=4)),
                       max_size=6))
def test_libyaml_and_pyyaml_write_the_same_file(data: dict[str, Any]) -> None:
    """to_yaml takes libyaml's emitter where PyYAML has it (four times faster): the representer picks
    every value's style, so the file is the same either way. Keys are names, as in every rule file:
    for keys holding line breaks or an empty key the two emitters choose differently between
    `key:` and the explicit `? key` form (both read back the same)."""
    assert FastRuleFileDumper is not RuleFileDumper, "PyYAML without libyaml: this test would prove nothing"
    python = yaml.dump(data, Dumper=RuleFileDumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                       width=_UNBOUNDED, indent=2)
    assert to_yaml(data) == python


# --- each character class, in every place a string can stand ---------------------------------------------


@pytest.mark.parametrize("text", EXPLICIT, ids=ascii)
def test_tricky_text_reads_back_everywhere(text: str) -> None:
    round_trips(text)
    round_trips([text, [text], {"k": text}])
    round_trips({text: text, "nested": {"list": [text, {text: [text]}]}, "after": text})
    round_trips({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "vector(1)",
                                                     "labels": {"team": text}, "annotations": {"description": text}}]}]})


@pytest.mark.parametrize("text", ["1e2", "0o17", "+inf", "y", "N", "2026-01-01", "yes", "~", "", " x", "x\t"], ids=ascii)
def test_text_other_readers_take_for_something_else_is_quoted(text: str) -> None:
    assert to_yaml({"v": text}) == f"v: {json.dumps(text)}\n"


def test_readable_text_stays_plain_and_lines_become_a_literal_block() -> None:
    data = {"expr": 'sum(rate(x{code=~"5.."}[5m])) > 0.001', "for": "5m", "window": "30d rolling",
            "description": "Budget: 2 % left.\nRunbook: https://runbooks.example/x#burn\n", "count": 3, "ok": True}
    assert round_trips(data) == (
        'expr: sum(rate(x{code=~"5.."}[5m])) > 0.001\n'
        "for: 5m\n"
        "window: 30d rolling\n"
        "description: |\n"
        "  Budget: 2 % left.\n"
        "  Runbook: https://runbooks.example/x#burn\n"
        "count: 3\n"
        "ok: true\n"
    )


def test_long_expressions_are_never_folded() -> None:
    expr = " or ".join(f'rate(http_requests_total{{code="{i}"}}[5m])' for i in range(500))
    assert round_trips({"expr": expr, "q": expr + ": x"}).count("\n") == 2


def test_a_shared_dict_is_written_twice_without_anchors() -> None:
    labels = {"sla": "x"}
    assert round_trips({"a": labels, "b": labels}) == "a:\n  sla: x\nb:\n  sla: x\n"


def test_lone_surrogates_are_refused_with_their_place() -> None:
    data = rule_file([RuleGroup("g", 30, (Rule("vector(1)", alert="A", labels={"team": "a\ud800b"}),))])
    with pytest.raises(ValueError, match=r"\$\.groups\[0\]\.rules\[0\]\.labels\.team: .*lone surrogate"):
        to_yaml(data)
    with pytest.raises(ValueError, match=r"\$\.x \(a key\)"):
        to_yaml({"x": {"\udfff": 1}})


def test_values_without_a_yaml_form_are_refused_with_their_place() -> None:
    with pytest.raises(TypeError, match=r"\$\.a\[1\]: tuple"):
        to_yaml({"a": [1, (2, 3)]})


# --- Prometheus and vmalert read such files (integration: real binaries) ---------------------------------


def _tricky_rules(path: Path) -> dict[str, str]:
    """A rule file whose labels and annotations carry every troublesome character; returns the labels."""
    labels = {f"l{i}": value for i, value in enumerate([SAMPLE, "1e2", "yes", "~", "2026-01-01", " a ", "a\nb\n", ""])}
    labels = {k: v for k, v in labels.items() if v}  # an empty label value is no label
    annotations = {"description": "line one\nline two: \t# not a comment\n", "summary": SAMPLE}
    groups = [RuleGroup("tricky", 30, (
        Rule("vector(1)", record="pledge:tricky:ratio", labels=labels),
        Rule("vector(1) > 0", alert="Tricky", labels=labels, annotations=annotations, for_="1m"),
    ))]
    path.write_text(to_yaml(rule_file(groups)), encoding="utf-8")
    return labels


@pytest.mark.integration
def test_tricky_rule_file_passes_promtool(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    _tricky_rules(rules)
    assert check_rules(rules) == 2


@pytest.mark.integration
def test_prometheus_reads_the_tricky_values_as_written(tmp_path: Path) -> None:
    """Go's YAML reader (not just PyYAML) gets the very strings back: promtool compares the alert's labels
    and annotations, read from our file, with the same values given as JSON (each character escaped)."""
    rules = tmp_path / "rules.yaml"
    labels = _tricky_rules(rules)
    annotations = yaml.safe_load(rules.read_text(encoding="utf-8"))["groups"][0]["rules"][1]["annotations"]
    test = {"rule_files": [str(rules)], "evaluation_interval": "30s", "tests": [{
        "interval": "30s", "input_series": [],
        "alert_rule_test": [{"eval_time": "2m", "alertname": "Tricky",
                             "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations}]}],
    }]}
    (tmp_path / "test.json").write_text(json.dumps(test), encoding="utf-8")
    result = promtool("test", "rules", tmp_path / "test.json")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
def test_tricky_rule_file_passes_vmalert_dry_run(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    _tricky_rules(rules)
    result = subprocess.run(["vmalert", "-dryRun", f"-rule={rules}"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
