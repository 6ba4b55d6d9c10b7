"""An SLA whose user text tries every Go-template trick, and its rule file: promtool
(tests/integration/test_template_literals.py) and vmalert (tests/victoria) must show the text literally."""

from __future__ import annotations

from pathlib import Path

from pledge.rules import generate, rule_file, to_yaml
from pledge.sla import ServiceLevelAgreement
from tests.support.slas import sla

HOSTILE = {
    "owner": "team }} payments",    # customer, tier and owner may not hold "{{" (they label recorded series too)
    "customer": "acme}}",
    "tier": "}}} gold",
    "label": "{{ .Foo",
    "annotation": 'see {{ query "up" }} and {{- $labels.sla -}}, {{{ }}}',
    "runbook": "https://runbooks.example/{{ .Foo }}",
}


def hostile_sla() -> ServiceLevelAgreement:
    return sla("checkout", "shop", owner=HOSTILE["owner"], customer=HOSTILE["customer"], tier=HOSTILE["tier"],
               sli={"ratio": {"errors": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"}},
               alerting={"labels": {"team": HOSTILE["label"]}, "annotations": {"note": HOSTILE["annotation"]},
                         "runbook": HOSTILE["runbook"]})


def write_rules(tmp_path: Path) -> Path:
    """The hostile SLA's rule file (tests/victoria runs it through vmalert -dryRun)."""
    path = tmp_path / "rules.yaml"
    path.write_text(to_yaml(rule_file(generate(hostile_sla()))))
    return path
