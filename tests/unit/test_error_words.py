"""SLA errors are in pledge's words, never pydantic's: real documents that trip each kind of check
the model has, and every error type pydantic can raise, none of them said in the library's phrases."""

from __future__ import annotations

import copy
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from pledge.sla import ServiceLevelAgreement, SpecError, parse_sla, parse_yaml
from pledge.sla.errors import describe

LIBRARY_PHRASES = ("Input should", "instance of", "For further information", "pydantic", "type=", "errors.pydantic.dev",
                   "Field required", "Extra inputs", "String should", "Value should", "List should", "valid dictionary",
                   "Unable to", "Dictionary", "Tuple", "[type")


def base() -> dict[str, Any]:
    return {"apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement",
            "metadata": {"name": "api", "namespace": "platform"},
            "spec": {"service": "public-api", "window": {"rolling": "30d"},
                     "objectives": [{"name": "availability", "target": "99.9", "sli": {"ratio": {
                         "errors": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"}}}]}}


def latency() -> dict[str, Any]:
    document = base()
    document["spec"]["objectives"][0]["sli"] = {"latency": {"histogram": "http_request_duration_seconds",
                                                            "threshold": 0.3}}
    return document


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy with ``value`` at ``path`` ("spec.objectives.0.target"); ``...`` deletes the field."""
    document = copy.deepcopy(document)
    *parents, last = path.split(".")
    node: Any = document
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return document


def problems_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_sla(document)
    return caught.value.problems


# (document, the line expected, word for word): one case per kind of pydantic check the model has
CASES = [
    (changed(base(), "spec.objectives", ["a"]), 'spec.objectives[0]: must be a mapping (name, target, sli), got "a"'),
    (changed(base(), "spec", "x"), 'spec: must be a mapping (service, objectives), got "x"'),
    (changed(base(), "spec.objectives", "a"), 'spec.objectives: must be a list, got "a"'),
    (changed(base(), "spec.objectives", []), "spec.objectives: must have at least 1 item, got 0"),
    (changed(base(), "spec.service", ["a"]), "spec.service: must be text, got a list"),
    (changed(base(), "spec.window", {"calendar": "year"}),
     "spec.window.calendar: must be 'week', 'month' or 'quarter', got \"year\""),
    (changed(base(), "spec.objectives", ...), "spec.objectives: required field is missing"),
    (changed(base(), "spec.servcie", "x"), "spec.servcie: unknown field (check the spelling; fields are camelCase)"),
    (changed(base(), "metadata.name", "Bad_Name"), None),  # string_pattern_mismatch
    (changed(base(), "metadata.name", "a" * 64), "metadata.name: must be at most 63 characters long, got \""
     + "a" * 39 + "…\""),
    (changed(latency(), "spec.objectives.0.sli.latency.threshold", 0), "spec.objectives[0].sli.latency.threshold: "
     "must be greater than 0, got 0"),
    (changed(latency(), "spec.objectives.0.sli.latency.threshold", "fast"), "spec.objectives[0].sli.latency.threshold: "
     'must be a number, got "fast"'),
    (changed(latency(), "spec.objectives.0.sli.latency.buckets", [0.1, "x"]), None),
    (changed(base(), "apiVersion", "v2"), 'apiVersion: must be \'pledge.dev/v1alpha1\', got "v2"'),
    (changed(base(), "spec.objectives.0.sli", {"ratio": "x"}), None),
    (changed(base(), "spec.objectives.0.sli", 5), None),
    (changed(base(), "spec.objectives.0.target", None), None),
    (changed(base(), "spec.objectives.0.target", [1]), None),
    (changed(base(), "spec.objectives.0.target", True), None),
    (changed(base(), "spec.objectives.0.target", "abc"), None),
    (changed(base(), "spec.objectives.0.name", 5), None),
    (changed(base(), "metadata", None), None),
    (changed(base(), "spec.window.rolling", {"d": 1}), None),
    (changed(base(), "spec.window.timezone", 7), None),
    (changed(base(), "spec.tiers", "gold"), None),
    (changed(base(), "spec.alerting", {"runbook": 5, "labels": "x"}), None),
    (changed(base(), "spec.credits", [{"below": "x"}]), None),
    (changed(base(), "spec.maintenance", [{"start": "noon", "duration": 5}]), None),
    (changed(base(), "spec.corrections", [{"start": 5, "end": "x", "reason": None, "effect": "ignore"}]), None),
]


@pytest.mark.parametrize(("document", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_real_documents_get_pledge_words(document: dict[str, Any], expected: str | None) -> None:
    problems = problems_of(document)
    said = "\n".join(problems)
    assert not any(phrase in said for phrase in LIBRARY_PHRASES), said
    assert all(": " in line and line.split(": ", 1)[1] for line in problems), said
    if expected is not None:
        assert expected in problems, said


def test_a_pattern_mismatch_says_the_pattern_and_the_value() -> None:
    [line] = problems_of(changed(base(), "metadata.name", "Bad_Name"))
    assert line.startswith("metadata.name: must match the pattern ") and line.endswith(', got "Bad_Name"'), line


def test_yaml_read_documents_say_the_same() -> None:
    text = "apiVersion: pledge.dev/v1alpha1\nkind: ServiceLevelAgreement\nmetadata: {name: a, namespace: b}\n" \
           "spec:\n  service: x\n  window: {rolling: 30d}\n  objectives: [a]\n"
    with pytest.raises(SpecError) as caught:
        parse_yaml(text, "a.yaml")
    assert str(caught.value) == 'a.yaml: invalid SLA:\n  spec.objectives[0]: must be a mapping (name, target, sli), got "a"'


# every error type pydantic-core knows, with a context holding whatever its message template may ask for
CONTEXT = {"gt": 0, "ge": 1, "lt": 100, "le": 63, "multiple_of": 5, "min_length": 1, "max_length": 63, "actual_length": 0,
           "field_type": "List", "pattern": "^[a-z]+$", "expected": "'week' or 'month'", "class_name": "Objective",
           "discriminator": "'kind'", "tag": "x", "expected_tags": "'a', 'b'", "error": "bad", "max_digits": 5,
           "decimal_places": 2, "whole_digits": 3, "reason": "bad", "attribute": "x", "expected_plural": "mappings",
           "type_name": "x", "expected_schemes": "'https'", "max_length_url": 10, "expected_version": 4,
           "tz_expected": 0, "tz_actual": 3600, "context_error": "x", "function_name": "f", "got": 1,
           "class": "Objective", "unicode_error": "x", "expected_type": "int", "actual_type": "str"}


def known_error(kind: str) -> InitErrorDetails | None:
    """A real pydantic error of ``kind`` at spec.objectives[0], or None when pydantic-core cannot make
    one outside validation (a few need live objects)."""
    for ctx in (None, CONTEXT):
        details: InitErrorDetails = {"type": kind, "loc": ("spec", "objectives", 0), "input": "a"}
        if ctx is not None:
            details["ctx"] = ctx
        try:
            ValidationError.from_exception_data("ServiceLevelAgreement", [details])
        except (TypeError, KeyError, ValueError):
            continue
        return details
    return None


KINDS = typing.get_args(ErrorType)


@pytest.mark.parametrize("kind", KINDS)
def test_every_pydantic_error_type_is_said_in_pledge_words(kind: str) -> None:
    details = known_error(kind)
    if details is None:  # pydantic-core refuses to build it by hand: say so, but only for the odd few
        assert kind in {"value_error", "assertion_error", "get_attribute_error", "iteration_error",
                        "default_factory_not_called", "needs_python_object", "ellipsis_error", "bytes_invalid_encoding",
                        "missing_sentinel_error"}, kind
        return
    raw = ValidationError.from_exception_data("ServiceLevelAgreement", [details])
    assert any(phrase in str(raw) for phrase in LIBRARY_PHRASES) or kind in {"missing", "extra_forbidden"}, \
        "the check must be able to fail: pydantic's own message uses its phrases"
    [line] = describe(raw, ServiceLevelAgreement)
    assert line.startswith("spec.objectives[0]: ") and not any(p in line for p in LIBRARY_PHRASES), line


def test_a_custom_error_keeps_its_message() -> None:
    """pledge's own checks raise ValueError: their message is the reason, as written."""
    raw = ValidationError.from_exception_data("x", [{"type": PydanticCustomError("value_error", "Value error, x is bad"),
                                                     "loc": ("spec",), "input": 1}])
    assert describe(raw) == ["spec: x is bad"]


def test_yaml_syntax_errors_name_line_and_column_without_pyyaml_noise(tmp_path: Path) -> None:
    """A tokens file and a `pledge serve --config` file with a YAML syntax error: the file, the line
    and column and the problem, without PyYAML's `in "<unicode string>"` and its copy of the line."""
    from click.testing import CliRunner

    from pledge.api.auth import parse_tokens
    from pledge.commands.serve import serve

    with pytest.raises(ValueError) as caught:
        parse_tokens("tokens:\n  - [a\n")
    assert str(caught.value) == ("tokens.yaml: not valid YAML: expected ',' or ']', but got '<stream end>' "
                                 "(line 3, column 1; parsing a flow sequence from line 2, column 5)")
    config = tmp_path / "serve.yaml"
    config.write_text("prometheusUrl: [http://x\n")
    result = CliRunner().invoke(serve, ["--config", str(config)])
    assert result.exit_code == 2 and "<unicode string>" not in result.output and "Traceback" not in result.output
    assert f"{config}: not valid YAML: " in result.output and "(line 2, column 1;" in result.output, result.output


def test_serve_settings_errors_are_in_pledge_words(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pledge.commands.serve import serve

    config = tmp_path / "serve.yaml"
    config.write_text("prometheus_timeout: abc\nbogus: 1\n")
    result = CliRunner().invoke(serve, ["--config", str(config)])
    assert result.exit_code == 2 and not any(phrase in result.output for phrase in LIBRARY_PHRASES), result.output
    assert 'prometheus_timeout: must be a number, got "abc"' in result.output
    assert "bogus: unknown field (check the spelling)" in result.output


def test_commands_that_only_load_sla_files_keep_the_yaml_errors_line(tmp_path: Path) -> None:
    """`pledge generate` (and every command loading SLA files as it does) says the line as validate does."""
    from click.testing import CliRunner

    from pledge.commands.main import main

    sla = tmp_path / "bad.yaml"
    sla.write_text("apiVersion: pledge.dev/v1alpha1\nkind: ServiceLevelAgreement\nmetadata: {name: x\nspec: [\n")
    result = CliRunner().invoke(main, ["generate", str(sla)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "line 4: not valid YAML: expected ',' or '}', but got ':'" in result.output, result.output


@pytest.mark.parametrize(("field", "value", "said"), [
    ("target", None, 'must be a percentage such as "99.9", got null'),
    ("target", True, 'must be a percentage such as "99.9", got true'),
    ("target", [], 'must be a percentage such as "99.9", got an empty list'),
])
def test_our_own_validators_say_values_as_yaml_writes_them(field: str, value: object, said: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_sla({"apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement", "metadata": {"name": "x"},
                   "spec": {"service": "x", "objectives": [{"name": "a", field: value,
                                                            "sli": {"ratio": {"errors": "e", "total": "t"}}}]}})
    assert f"spec.objectives[0].{field}: {said}" in str(caught.value)
    assert "None" not in str(caught.value) and "True" not in str(caught.value)
