"""Label selectors (pledge.sla.selector) mean what they mean to kubectl."""

from __future__ import annotations

import pytest

from pledge.sla.selector import parse_selector

LABELS = {"team": "payments", "env": "prod", "critical": "true"}


@pytest.mark.parametrize(("text", "matches"), [
    ("team=payments", True),
    ("team==payments", True),
    ("team=search", False),
    ("team!=search", True),
    ("tier!=bronze", True),  # an SLA without the label is not bronze
    ("env in (prod, staging)", True),
    ("env in (staging)", False),
    ("env notin (staging,dev)", True),
    ("region notin (eu)", True),
    ("critical", True),
    ("legacy", False),
    ("!legacy", True),
    ("!critical", False),
    ("team=payments,env in (prod),!legacy", True),
    ("team=payments,env=dev", False),
])
def test_requirements_all_hold(text: str, matches: bool) -> None:
    assert parse_selector(text).matches(LABELS) is matches


@pytest.mark.parametrize(("text", "named"), [
    ("", "empty selector"),
    ("team=payments,", "'' is not a label requirement"),
    ("bad key=1", "'bad key=1' is not a label requirement"),
    ("env in ()", "a set needs label values"),
    ("env in (prod", "unbalanced '('"),
    ("env in prod)", "unbalanced ')'"),
    ("team=pay ments", "is not a label requirement"),
])
def test_a_wrong_selector_names_the_part(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("(", r"\(").replace(")", r"\)")):
        parse_selector(text)
