"""The pure core of an SLA's record: canonical specs and their hashes, kinds of change, the JSON patch
and readable diff between two specs, numbering, and the revision in force at an instant."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import jsonpatch  # kopf's dependency: an independent RFC 6902 implementation
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pledge.sla import parse_sla
from pledge.sla.revisions import (
    NO_HISTORY, Kind, Proposed, Revision, between, classify, current_only, diff, in_force, kind_of_path, numbered,
    spec_hash, spec_of,
)
from tests.support.gitrepo import sla_yaml

Spec = dict[str, Any]


def base() -> Spec:
    spec = spec_of(parse_sla(yaml.safe_load(sla_yaml())))
    spec["objectives"].append({"name": "latency", "target": "99",
                               "sli": {"latency": {"histogram": "http_request_duration_seconds", "threshold": 0.3}}})
    spec["credits"] = [{"below": "99.9", "percent": "10"}]
    return spec


def edited(change: Callable[[Spec], object]) -> Spec:
    spec = copy.deepcopy(base())
    change(spec)
    return spec


def objective(spec: Spec, name: str) -> dict[str, Any]:
    return next(o for o in spec["objectives"] if o["name"] == name)


CASES: list[tuple[str, Callable[[Spec], object], Kind, list[str]]] = [
    ("target", lambda s: objective(s, "availability").update(target="99.95"), "budget-critical",
     ["objectives[availability].target: 99.9 -> 99.95"]),
    ("warning added", lambda s: objective(s, "latency").update(warning="99.5"), "budget-critical",
     ["objectives[latency].warning: added 99.5"]),
    ("window", lambda s: s.update(window={"rolling": "30d"}), "budget-critical",
     ["window.calendar: removed (was month)", "window.rolling: added 30d"]),
    ("credit percent", lambda s: s["credits"][0].update(percent="25"), "budget-critical", ["credits[0].percent: 10 -> 25"]),
    ("credit cap", lambda s: s.update(creditCap="30"), "budget-critical", ["creditCap: added 30"]),
    ("exclusion", lambda s: s.update(exclusions=[{"start": "2026-11-03T02:00:00Z", "end": "2026-11-03T04:00:00Z",
                                                  "reason": "db upgrade"}]), "budget-critical",
     ['exclusions: added [{"end": "2026-11-03T04:00:00Z", "reason": "db upgrade", "start": "2026-11-03T02:00:00Z"}]']),
    ("corrections", lambda s: s.update(corrections=[{"reason": "forgotten maintenance"}]), "budget-critical",
     ['corrections: added [{"reason": "forgotten maintenance"}]']),
    ("objective removed", lambda s: s["objectives"].pop(), "budget-critical",
     ["objectives[latency]: removed (was target 99)"]),
    ("objective added", lambda s: s["objectives"].append({"name": "errors", "target": "99", "warning": "99.5",
                                                          "sli": {"boolGauge": {"metric": "up"}}}),
     "budget-critical", ["objectives[errors]: added target 99, warning 99.5"]),
    ("objective renamed", lambda s: objective(s, "latency").update(name="speed"), "budget-critical",
     ["objectives[latency]: removed (was target 99)", "objectives[speed]: added target 99"]),
    ("sli query", lambda s: objective(s, "availability")["sli"]["ratio"].update(errors="x_total"), "sli",
     ['objectives[availability].sli.ratio.errors: http_requests_total{service="checkout",code=~"5.."} -> x_total']),
    ("sli threshold", lambda s: objective(s, "latency")["sli"]["latency"].update(threshold=0.5), "sli",
     ["objectives[latency].sli.latency.threshold: 0.3 -> 0.5"]),
    ("grouping", lambda s: s.update(grouping=["customer"]), "sli", ['grouping: added ["customer"]']),
    ("description", lambda s: s.update(description="the shop's checkout"), "cosmetic",
     ["description: added the shop's checkout"]),
    ("objective description", lambda s: objective(s, "latency").update(description="fast pages"), "cosmetic",
     ["objectives[latency].description: added fast pages"]),
    ("owner and alerting", lambda s: s.update(owner="team-payments", alerting={"runbook": "https://r.example/c"}),
     "cosmetic", ['alerting: added {"runbook": "https://r.example/c"}', "owner: added team-payments"]),
    ("objectives reordered", lambda s: s["objectives"].reverse(), "cosmetic",
     ['objectives order: ["availability", "latency"] -> ["latency", "availability"]']),
    ("sli and description", lambda s: (objective(s, "latency")["sli"]["latency"].update(threshold=0.5),
                                       s.update(description="d")), "sli",
     ["description: added d", "objectives[latency].sli.latency.threshold: 0.3 -> 0.5"]),
    ("target and sli", lambda s: (objective(s, "latency").update(target="98"),
                                  objective(s, "latency")["sli"]["latency"].update(threshold=0.5)), "budget-critical",
     ["objectives[latency].sli.latency.threshold: 0.3 -> 0.5", "objectives[latency].target: 99 -> 98"]),
]


@pytest.mark.parametrize(("change", "kind", "lines"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_change_has_its_kind_readable_lines_and_a_patch(change: Callable[[Spec], object], kind: Kind,
                                                              lines: list[str]) -> None:
    old, new = base(), edited(change)
    found = diff(old, new)
    assert classify(old, new) == kind
    assert list(found.lines) == lines
    assert jsonpatch.apply_patch(old, found.patch) == new
    assert diff(old, new) == found  # deterministic


def test_a_target_change_is_one_replace_at_its_index() -> None:
    new = edited(lambda s: objective(s, "availability").update(target="99.95"))
    assert diff(base(), new).patch == [{"op": "replace", "path": "/objectives/0/target", "value": "99.95"}]


def test_no_change_is_an_empty_diff_and_cosmetic() -> None:
    assert diff(base(), base()).patch == [] and diff(base(), base()).lines == ()
    assert classify(base(), base()) == "cosmetic" and classify(None, base()) == "created"


@pytest.mark.parametrize(("path", "kind"), [
    ("objectives[availability].target", "budget-critical"), ("objectives[availability]", "budget-critical"),
    ("objectives[a].sli.ratio.total", "sli"), ("objectives[a].description", "cosmetic"),
    ("objectives[0].target", "budget-critical"), ("objectives order", "cosmetic"), ("changePolicy", "budget-critical"),
    ("exclusions[2].end", "budget-critical"), ("alerting.tiers[0].enabled", "cosmetic"), ("tier", "cosmetic"),
])
def test_kind_of_each_path(path: str, kind: Kind) -> None:
    assert kind_of_path(path) == kind


def test_pointer_escapes_slash_and_tilde() -> None:
    old, new = {"labels": {"a/b": "1", "c~d": "2"}}, {"labels": {"a/b": "3"}}
    patch = diff(old, new).patch
    assert patch == [{"op": "remove", "path": "/labels/c~0d"}, {"op": "replace", "path": "/labels/a~1b", "value": "3"}]
    assert jsonpatch.apply_patch(old, patch) == new


json_values = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.text("ab/~", max_size=2),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("ab/~", max_size=2),
                                                                                        inner, max_size=4),
                           max_leaves=12)


@given(st.dictionaries(st.text("abc", max_size=2), json_values, max_size=4),
       st.dictionaries(st.text("abc", max_size=2), json_values, max_size=4))
def test_the_patch_turns_any_old_document_into_the_new_one(old: Spec, new: Spec) -> None:
    assert jsonpatch.apply_patch(copy.deepcopy(old), diff(old, new).patch) == new


def test_the_hash_is_of_the_canonical_spec_defaults_left_out() -> None:
    written = yaml.safe_load(sla_yaml())
    explicit = copy.deepcopy(written)
    explicit["spec"]["alerting"] = {"policy": "sre-workbook", "absent": True}  # the defaults, written out
    explicit["spec"]["objectives"][0]["target"] = "99.90"
    assert spec_of(parse_sla(explicit)) == spec_of(parse_sla(written))
    assert spec_hash(spec_of(parse_sla(explicit))) == spec_hash(spec_of(parse_sla(written)))
    assert spec_hash({"b": 1, "a": [1, 2]}) == spec_hash({"a": [1, 2], "b": 1}) != spec_hash({"a": [2, 1], "b": 1})


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_numbering_skips_identical_consecutive_definitions() -> None:
    one, two = base(), edited(lambda s: objective(s, "availability").update(target="99.95"))
    found = numbered([Proposed(one, at("2026-11-01T00:00:00Z"), "alice", "git", "create", "c1"),
                      Proposed(copy.deepcopy(one), at("2026-11-10T00:00:00Z"), "bob", "git", "rename", "c2"),
                      Proposed(two, at("2026-11-30T10:00:00Z"), "carol", "git", "raise", "c3"),
                      Proposed(copy.deepcopy(one), at("2026-12-01T00:00:00Z"), "dave", "git", "revert", "c4")])
    assert [(r.number, r.kind, r.commit) for r in found] == [
        (1, "created", "c1"), (2, "budget-critical", "c3"), (3, "budget-critical", "c4")]
    assert found[1].changes == ("objectives[availability].target",)
    assert found[0].sha256 == found[2].sha256 == spec_hash(one) and found[0].short == found[0].sha256[:12]
    assert between(found, 1).patch == [] and between(found, 3).lines == ("objectives[availability].target: 99.95 -> 99.9",)


REVISIONS = numbered([Proposed(base(), at("2026-11-01T00:00:00Z")),
                      Proposed(edited(lambda s: s.update(description="x")), at("2026-11-15T00:00:00Z")),
                      Proposed(edited(lambda s: s.update(creditCap="20")), at("2026-11-30T10:00:00Z"))])


@pytest.mark.parametrize(("moment", "number"), [
    ("2026-10-31T23:59:59Z", None), ("2026-11-01T00:00:00Z", 1), ("2026-11-14T23:59:59Z", 1),
    ("2026-11-15T00:00:00Z", 2), ("2026-11-30T09:59:59Z", 2), ("2026-11-30T10:00:00Z", 3), ("2027-06-01T00:00:00Z", 3),
    ("2026-11-30T11:00:00+01:00", 3),
])
def test_the_revision_in_force_is_the_last_accepted_at_or_before(moment: str, number: int | None) -> None:
    found = in_force(REVISIONS, at(moment))
    assert (found.number if found is not None else None) == number


def test_without_history_the_current_definition_is_the_only_one_known() -> None:
    sla = parse_sla(yaml.safe_load(sla_yaml()))
    history = current_only(sla)
    assert not history.known and history.note == NO_HISTORY and history.ref == sla.ref
    [only] = history.revisions
    assert (only.number, only.kind, only.accepted_at, only.tool, only.spec) == (1, "created", None, None, spec_of(sla))
    assert in_force(history.revisions, at("1999-01-01T00:00:00Z")) == only  # unknown: in force from the start
    assert history.current is only and history.number(1) is only and history.number(2) is None


def test_a_revision_is_immutable() -> None:
    revision: Revision = REVISIONS[0]
    with pytest.raises(AttributeError):
        revision.number = 5  # type: ignore[misc]
