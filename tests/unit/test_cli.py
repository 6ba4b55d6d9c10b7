"""The `pledge` command: exit codes, messages and files, through click's runner (no subprocess)."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from pledge.commands.main import main
from pledge.sla.crd import crd_yaml

EXAMPLES = Path(__file__).parents[2] / "examples"
BAD = """\
apiVersion: pledge.dev/v1alpha1
kind: ServiceLevelAgreement
metadata: {name: bad}
spec: {service: x, objectives: [{name: a, target: "100", sli: {ratio: {total: "y{"}}}]}
"""


def test_validate_accepts_every_example() -> None:
    result = CliRunner().invoke(main, ["validate", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok  ") == len(list(EXAMPLES.glob("*.yaml")))


def test_validate_reports_every_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    result = CliRunner().invoke(main, ["validate", str(bad), str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert 'spec.objectives[0].target: must be between 0 and 100 exclusive, got "100"' in result.output
    assert "spec.objectives[0].sli.ratio.total: is not valid PromQL" in result.output
    assert "missing.yaml" in result.output and "cannot read" in result.output
    assert "Traceback" not in result.output


def test_generate_writes_one_file_per_sla(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["generate", str(EXAMPLES), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(written) == len(list(EXAMPLES.glob("*.yaml")))
    assert "platform-pledge-api-availability.yaml" in written
    groups = yaml.safe_load((tmp_path / "out" / "platform-pledge-api-availability.yaml").read_text())["groups"]
    assert [g["name"] for g in groups] == [f"pledge-platform-api-availability-{k}" for k in ("sli", "tiles", "alerts")]


def test_generate_prometheusrule_with_selector_labels() -> None:
    result = CliRunner().invoke(main, ["generate", str(EXAMPLES / "edge-probes.yaml"), "--format", "prometheusrule",
                                       "--label", "release=kube-prometheus-stack"])
    assert result.exit_code == 0, result.output
    rule = yaml.safe_load(result.output)
    assert rule["kind"] == "PrometheusRule" and rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_generate_refuses_bad_files_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    result = CliRunner().invoke(main, ["generate", str(EXAMPLES / "edge-probes.yaml"), str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()


def test_generate_rejects_a_malformed_label() -> None:
    result = CliRunner().invoke(main, ["generate", str(EXAMPLES / "edge-probes.yaml"), "--label", "nokey"])
    assert result.exit_code == 2 and "KEY=VALUE" in result.output


def test_crd_command_prints_the_committed_crd() -> None:
    result = CliRunner().invoke(main, ["crd"])
    assert result.exit_code == 0
    assert result.output == crd_yaml()
