"""`pledge export openslo` then `pledge import` gives back an equal SLA, for every shipped example."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pledge.api.sources import packaged_examples
from pledge.files import Found, check
from pledge.importers import import_documents, to_openslo
from pledge.sla import ServiceLevelAgreement, parse_sla
from tests.support.slas import document

EXAMPLES = check((packaged_examples(),)).slas


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda f: Path(f.file).name)
def test_export_then_import_is_the_same_sla(example: Found) -> None:
    sla = example.sla
    assert isinstance(sla, ServiceLevelAgreement) and len(EXAMPLES) >= 6
    text = "---\n".join(yaml.safe_dump(d) for d in to_openslo(sla))
    documents = [(d, "export") for d in yaml.safe_load_all(text)]
    assert [d["kind"] for d, _ in documents].count("SLO") == len(sla.spec.objectives)
    mappings = import_documents(documents)
    assert {m.fidelity for m in mappings} <= {"exact", "approximated"}
    assert mappings[0].document is not None
    assert parse_sla(mappings[0].document) == sla


def test_per_severity_and_tier_labels_survive_the_round_trip() -> None:
    """OpenSLO's AlertCondition has a severity, no labels of the alert: pledge's ride in its
    pledge.dev/alerting annotation, and come back exactly."""
    alerting = {"labels": {"team": "payments"},
                "severities": {"page": {"labels": {"routing_key": "myteam"}, "annotations": {"note": "wake"}},
                               "ticket": {"labels": {"slack_channel": "#alerts-myteam"}}},
                "tiers": [{"name": "page-fast", "labels": {"fast": "yes"}, "annotations": {"runbook_url": "https://r"}}]}
    sla = parse_sla(document("checkout", "shop", alerting=alerting))
    documents = [(d, "export") for d in to_openslo(sla)]
    policy = next(d for d, _ in documents if d["kind"] == "SLO")["metadata"]["annotations"]["pledge.dev/alerting"]
    assert "routing_key" in policy and "#alerts-myteam" in policy
    mappings = import_documents(documents)
    assert mappings[0].document is not None and "dropped" not in {m.fidelity for m in mappings}
    assert parse_sla(mappings[0].document) == sla
