"""Every vendored peer example imports with the report asserted here, and the command's exit code
and written files follow the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pledge.commands.main import main
from pledge.files import Foreign, read_yaml, recognise
from pledge.importers import import_documents
from pledge.importers.detect import peer
from pledge.sla import parse_sla, parse_yaml
from tests.support.peers import PEERS, examples, imported

# file -> (fidelity of each SLO, the non-exact fields of the first SLO)
EXPECTED = {
    "openslo/occurences-slo.yaml": (["unsupported"], {"objectives[0].thresholdMetric"}),
    "openslo/ratio-timeslices.yaml": (["unsupported"], {"budgetingMethod"}),
    "openslo/timeslices-slo.yaml": (["unsupported"], {"budgetingMethod"}),
    "pyrra/apiserver-request-latency.yaml": (["approximated"], None),
    "pyrra/caddy-response-latency.yaml": (["approximated"], None),
    "pyrra/coredns-response-errors.yaml": (["approximated"], None),
    "pyrra/dynamic-burn-rate-bool-gauge.yaml": (["approximated"], None),
    "pyrra/dynamic-burn-rate-latency-native.yaml": (["approximated"], None),
    "pyrra/http-ratio.yaml": (["approximated"], None),
    "pyrra/prometheus-http-errors.yaml": (["approximated"], None),
    "sloth/getting-started.yml": (["approximated"], None),
    "sloth/home-wifi.yml": (["approximated", "approximated"], None),
    "sloth/k8s-getting-started.yml": (["approximated"], None),
    "sloth/no-alerts.yml": (["exact"], set()),
    "sloth/openslo-getting-started.yml": (["approximated"], {"alertPolicies"}),
    "sloth/raw-home-wifi.yml": (["approximated"], None),
}


def test_every_vendored_example_is_listed() -> None:
    assert sorted(EXPECTED) == examples()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_imports_with_its_report(name: str) -> None:
    mappings = imported(name)
    fidelities, fields = EXPECTED[name]
    assert [m.fidelity for m in mappings] == fidelities
    if fields is not None:
        assert {n.field for n in mappings[0].notes if n.fidelity != "exact"} == fields
    for mapping in mappings:
        assert (mapping.document is None) == (mapping.fidelity == "unsupported")
        if mapping.document is not None:
            parse_sla(mapping.document)


def test_sloth_events_become_a_ratio_sli_with_its_labels() -> None:
    [mapping] = imported("sloth/k8s-getting-started.yml")
    assert mapping.document is not None
    spec = parse_sla(mapping.document).spec
    ratio = spec.objectives[0].sli.ratio
    assert ratio is not None and ratio.errors == 'http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}'
    assert (spec.owner, spec.alerting.labels) == ("myteam", {"repo": "myorg/myservice", "tier": "2",
                                                             "category": "availability", "alert_name": "MyServiceHighErrorRate"})
    assert not [n for n in mapping.notes if n.fidelity == "dropped"]


@pytest.mark.parametrize("name", ["sloth/getting-started.yml", "sloth/k8s-getting-started.yml"])
def test_sloth_per_severity_labels_become_pledges_severities(name: str) -> None:
    """Sloth's getting-started routes its page by routing_key and its ticket by slack_channel: both
    kept, each on its own severity, and nothing dropped."""
    [mapping] = imported(name)
    assert mapping.document is not None
    alerting = parse_sla(mapping.document).spec.alerting
    assert (alerting.severities.page.labels, alerting.severities.ticket.labels) == (
        {"routing_key": "myteam"}, {"slack_channel": "#alerts-myteam"})
    assert alerting.labels_for("page", "page-fast")["routing_key"] == "myteam"
    assert "routing_key" not in alerting.labels_for("ticket", "ticket-fast")
    notes = {n.field: n.fidelity for n in mapping.notes}
    assert notes["alerting.page_alert.labels.routing_key"] == "exact"  # one spelling for pageAlert and page_alert
    assert notes["alerting.ticket_alert.labels.slack_channel"] == "exact"
    assert notes["alerting.page_alert.labels.severity"] == "approximated"  # pledge's severity stays page|ticket
    assert "dropped" not in notes.values()


def test_sloth_per_severity_annotations_and_reserved_labels() -> None:
    document = {"version": "prometheus/v1", "service": "svc", "slos": [{
        "name": "avail", "objective": 99.5,
        "sli": {"events": {"error_query": 'sum(rate(x_total{code="500"}[{{.window}}]))',
                           "total_query": "sum(rate(x_total[{{.window}}]))"}},
        "alerting": {"page_alert": {"labels": {"sla": "mine", "pager": "on"},
                                    "annotations": {"summary": "wake up", "runbook_url": "https://run/page"}},
                     "ticket_alert": {"annotations": {"dashboard": "https://dash"}, "for": "10m", "extra": 1}}}]}
    [mapping] = import_documents([(document, "inline")])
    assert mapping.document is not None
    alerting = parse_sla(mapping.document).spec.alerting
    assert alerting.severities.page.labels == {"pager": "on"}
    assert alerting.severities.page.annotations == {"sloth_summary": "wake up", "runbook_url": "https://run/page"}
    assert alerting.severities.ticket.annotations == {"dashboard": "https://dash"}
    notes = {n.field: n.fidelity for n in mapping.notes}
    assert notes["alerting.page_alert.labels.sla"] == "dropped"  # pledge's own identity label
    assert notes["alerting.ticket_alert.extra"] == "dropped"  # unknown fields are named, never lost silently
    assert notes["alerting.page_alert.annotations.summary"] == "approximated"


@pytest.mark.parametrize(("name", "code"), [("sloth/no-alerts.yml", 0), ("pyrra/http-ratio.yaml", 3),
                                            ("sloth/getting-started.yml", 3), ("openslo/timeslices-slo.yaml", 1)])
def test_exit_code_follows_the_report(tmp_path: Path, name: str, code: int) -> None:
    result = CliRunner().invoke(main, ["import", str(PEERS / name), "-o", str(tmp_path), "--manifest"])
    assert result.exit_code == code, result.output
    written = sorted(tmp_path.iterdir())
    assert bool(written) == (name != "openslo/timeslices-slo.yaml")
    for path in written:
        parse_yaml(path.read_text())


def test_nothing_is_written_when_one_slo_is_unsupported(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", str(PEERS / "sloth/no-alerts.yml"),
                                       str(PEERS / "openslo/timeslices-slo.yaml"), "-o", str(tmp_path)])
    assert (result.exit_code, list(tmp_path.iterdir())) == (1, [])


def test_validate_points_at_import() -> None:
    result = CliRunner().invoke(main, ["validate", str(PEERS / "pyrra")])
    assert result.exit_code == 3 and "pledge import" in result.output


@pytest.mark.parametrize("name", examples())
def test_validate_and_import_classify_a_peer_file_alike(name: str) -> None:
    """One classifier: the format `pledge validate` names when it skips a peer's file is the format
    `pledge import` reads it as (they once disagreed on a Sloth file without `service`)."""
    documents = read_yaml(PEERS / name, name)
    assert isinstance(documents, list) and documents
    folder, file = name.split("/")
    read_as = {peer(d) for d in documents} - {None}
    assert read_as == {"openslo" if file.startswith("openslo") else folder}  # Sloth ships an OpenSLO example too
    for document in documents:
        foreign = recognise(document)
        assert foreign is not None and foreign.slo_format
        assert peer(document) == foreign.peer
    sloth_without_service = {"version": "prometheus/v1", "slos": []}
    assert peer(sloth_without_service) == "sloth" and recognise(sloth_without_service) == Foreign(
        "a Sloth prometheus/v1 spec", slo_format=True, peer="sloth")
