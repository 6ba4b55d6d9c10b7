"""Rule files that no SLA can break: adversarial documents (pledge.testing.fuzz, the same mutation
table bench/fuzz_specs.py draws from) are rejected with field paths, or accepted with rules that read
back as written and that promtool and vmalert accept. Plus one regression test per bug the fuzzer found."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from pledge.files import check_file
from pledge.sla import SpecError, parse_sla, parse_yaml
from pledge.testing.fuzz import Outcome, batches, batch_rules, classify, culprits, documents, strategy
from pledge.testing.local import ruler_refusals

TEXTS = [f.read_text() for f in sorted(files("pledge").joinpath("examples").iterdir(), key=lambda f: f.name)
         if f.name.endswith(".yaml")]
BASES: list[dict[str, Any]] = [yaml.safe_load(t) for t in TEXTS]
API = next(b for b in BASES if b["metadata"]["name"] == "api-availability")


def _assert_sound(outcome: Outcome) -> None:
    assert outcome.kind in ("rejected", "accepted"), (outcome.kind, outcome.problems, outcome.error, outcome.text)
    if outcome.kind == "accepted":
        assert yaml.safe_load(outcome.rules) == yaml.safe_load(batch_rules([outcome]))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(strategy(BASES))
def test_any_document_is_rejected_with_field_paths_or_renders_rules_that_read_back(text: str) -> None:
    _assert_sound(classify(text))


def test_the_examples_are_accepted_unchanged() -> None:
    assert [classify(t).kind for t in TEXTS] == ["accepted"] * len(TEXTS)


def test_the_seeded_documents_are_reproducible_and_varied() -> None:
    first, again = documents(BASES, 200, seed=5), documents(BASES, 200, seed=5)
    assert first == again
    kinds = {classify(d).kind for d in first}
    assert kinds == {"rejected", "accepted"}


def test_a_refused_batch_names_its_culprits() -> None:
    accepted = [o for o in map(classify, documents(BASES, 120, seed=9)) if o.kind == "accepted"]
    bad = accepted[len(accepted) // 2]
    found = culprits(accepted, lambda text: "bad" if bad.groups[0].name in text else None)
    assert [o for o, _ in found] == [bad]


class _File:
    def __init__(self, text: str) -> None:
        self.text = text

    def read_bytes(self) -> bytes:
        return self.text.encode("utf-8")


# -- what the fuzzer found ------------------------------------------------------------------------


@pytest.mark.parametrize("old,new,path", [
    ("owner: team-platform", 'owner: "team\\ud800"', "spec.owner"),
    ("description: Requests answered without a server error.", 'description: "\\udfff"', "spec.objectives[0].description"),
    ("runbook: https://runbooks.example/public-api", 'runbook: "https://x/\\ud800"', "spec.alerting.runbook"),
    ("  alerting:\n", '  alerting:\n    labels: {"a\\ud800": x}\n', "spec.alerting.labels"),
], ids=["owner", "description", "runbook", "label-key"])
def test_a_lone_surrogate_escape_is_a_field_error_not_a_traceback(old: str, new: str, path: str) -> None:
    """`pledge validate` read "\\ud800" escapes with a plain SafeLoader: pydantic raised
    UnicodeEncodeError (owner), or the SLA passed validation and only the rule check refused it
    (runbook), or it was accepted (description). parse_sla refuses such text, naming the field."""
    text = TEXTS[1].replace(old, new)
    assert text != TEXTS[1]
    scan = check_file(_File(text), "x.yaml")  # type: ignore[arg-type]
    assert [(p.path, "lone surrogate" in p.message) for p in scan.errors] == [(path, True)]
    with pytest.raises(SpecError, match="lone surrogate"):
        parse_yaml(text)


def test_parse_sla_refuses_invalid_text_from_any_source() -> None:
    """The operator and the API validate dicts (JSON allows "\\ud800"): the check is in parse_sla."""
    with pytest.raises(SpecError) as raised:
        parse_sla({**copy_api(), "spec": {**copy_api()["spec"], "tier": "gold\ud800"}})
    assert raised.value.problems == ["spec.tier: is not valid Unicode text (it holds a lone surrogate such as \\ud800)"]


def test_validate_reads_a_key_written_twice_as_parse_yaml_does() -> None:
    """`pledge validate` kept the last of two keys silently; parse_yaml refused them."""
    text = TEXTS[1].replace("  owner: team-platform\n", "  owner: team-platform\n  owner: team-other\n")
    scan = check_file(_File(text), "x.yaml")  # type: ignore[arg-type]
    assert not scan.slas and len(scan.errors) == 1 and 'duplicate key "owner"' in scan.errors[0].message
    with pytest.raises(SpecError, match='duplicate key "owner"'):
        parse_yaml(text)


@pytest.mark.parametrize("field,value", [
    ("errors", 'http_requests#_total{code=~"5.."}'),
    ("total", 'http_requests_total{service="public-api"} # all of them'),
])
def test_a_promql_comment_in_a_selector_is_a_field_error(field: str, value: str) -> None:
    """A # comment passed the selector check but swallowed the rest of each generated expression
    (rate(x # ...[5m])): only the rule check refused it, with no field path."""
    doc = copy_api()
    doc["spec"]["objectives"][0]["sli"]["ratio"][field] = value
    with pytest.raises(SpecError) as raised:
        parse_sla(doc)
    assert raised.value.problems[0].startswith(f"spec.objectives[0].sli.ratio.{field}: must not hold a # comment")


@pytest.mark.parametrize("raw", [
    "avg_over_time(x[{{window}}]) # ratio",
    'avg_over_time(x{a="#"}[{{window}}]) # ratio',
])
def test_a_promql_comment_in_a_raw_sli_is_a_field_error(raw: str) -> None:
    doc = copy_api()
    doc["spec"]["objectives"][0]["sli"] = {"raw": {"errorRatio": raw}}
    with pytest.raises(SpecError, match=r"^invalid SLA:\n  spec.objectives\[0\].sli.raw.errorRatio: must not hold a # comment"):
        parse_sla(doc)


@pytest.mark.parametrize("selector", ['x{a="#"}', "x{a='#'}", "x{a=~`#`}"])
def test_a_hash_inside_a_string_literal_is_no_comment(selector: str) -> None:
    doc = copy_api()
    doc["spec"]["objectives"][0]["sli"]["ratio"]["total"] = selector
    assert parse_sla(doc).spec.objectives[0].sli.ratio is not None


def copy_api() -> dict[str, Any]:
    return yaml.safe_load(TEXTS[1])  # type: ignore[no-any-return]


# -- a real ruler -----------------------------------------------------------------------------------


@pytest.mark.integration
def test_accepted_documents_pass_promtool_and_vmalert(tmp_path: Path) -> None:
    """A fixed-seed batch of ~300 documents: every accepted one's rules load in both rulers."""
    outcomes = [classify(d) for d in documents(BASES, 300, seed=2026)]
    assert [o for o in outcomes if o.failed] == []
    accepted = [o for o in outcomes if o.kind == "accepted"]
    assert len(accepted) >= 20
    for refusal in ruler_refusals(tmp_path).values():
        refused = [(o.text, reason) for batch in batches(accepted, 100) for o, reason in culprits(batch, refusal)]
        assert refused == []
