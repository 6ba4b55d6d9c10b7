"""One identity vocabulary: what the rules write on every recorded series and alert reads back, with
pledge.sla.identity, as the SLA and the row it belongs to, the way the API, the operator, predictions
and the breach gauge read it."""

from __future__ import annotations

from pathlib import Path

from pledge.api.sources import read_directory
from pledge.rules import generate
from pledge.sla.identity import IDENTITY_LABELS, Row, SLARef

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_every_recorded_series_and_alert_reads_back_as_its_sla_and_row() -> None:
    slas, checked = read_directory(EXAMPLES), 0
    for sla in slas:
        objectives = {o.name for o in sla.spec.objectives}
        for group in generate(sla):
            for rule in group.rules:
                if not set(IDENTITY_LABELS) <= rule.labels.keys():
                    continue
                assert SLARef.of_labels(rule.labels) == sla.ref, rule
                row = Row.of_labels(rule.labels, sla.spec.grouping)
                assert row.objective in objectives
                # grouping labels come from the source series, not from the rule's own labels
                assert row.group == tuple((label, "") for label in sorted(sla.spec.grouping))
                checked += 1
    assert len(slas) >= 6 and checked >= 100


def test_texts_of_an_sla_and_a_row() -> None:
    ref = SLARef("shop", "checkout")
    assert str(ref) == "shop/checkout" and ref.labels() == {"sla": "checkout", "sla_namespace": "shop"}
    row = Row.of("availability", {"region": "eu", "customer": "acme"})
    assert row.group == (("customer", "acme"), ("region", "eu"))  # sorted: one key however it was built
    assert row == Row.of_labels({"objective": "availability", "customer": "acme", "region": "eu", "sla": "x"},
                                ["region", "customer"])
    assert (str(row), row.group_text(), row.group_column()) == (
        "availability (customer=acme,region=eu)", "customer=acme,region=eu", "acme,eu")
    assert (str(Row("latency")), Row("latency").group_text(), Row("latency").group_column()) == ("latency", "", "-")
    assert row.matches({"objective": "availability", "customer": "acme", "region": "eu", "alertname": "SLABurn"})
    assert not row.matches({"objective": "availability", "customer": "globex", "region": "eu"})
    assert not row.matches({"objective": "latency", "customer": "acme", "region": "eu"})
