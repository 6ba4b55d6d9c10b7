"""`pledge validate` on SLA repositories: directory walks, foreign files named, non-UTF-8 files, duplicate
SLAs, JSON output and exit codes; what the same reading means for `generate -o` and the API's directory."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from pledge.api.sources import DirectorySource, read_directory
from pledge.commands.main import main
from pledge.files import line_of, split_problem
from pledge.sla import SpecError
from tests.support.slas import as_yaml

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"


def sla(name: str, namespace: str = "team", target: str = "99.9") -> str:
    """An SLA file's text: 14 lines, the target on line 10 (a second document after `---` starts on line 16)."""
    return as_yaml(name, namespace, service="api", target=target, sli={"ratio": {"errors": "e_total", "total": "t_total"}})


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", *args])


def as_json(*args: str) -> dict[str, Any]:
    result = run("--format", "json", *args)
    assert "Traceback" not in result.output
    found = json.loads(result.stdout)
    assert isinstance(found, dict)
    return found


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


FOREIGN = {
    "sloth": ('version: "prometheus/v1"\nservice: myservice\nslos:\n  - name: availability\n    objective: 99.9\n',
              "a Sloth prometheus/v1 spec", True),
    "sloth-k8s": ("apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata: {name: x}\nspec: {service: x}\n",
                  "a Sloth Kubernetes PrometheusServiceLevel (sloth.slok.dev/v1)", True),
    "openslo": ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {service: x}\n",
                "an OpenSLO SLO (openslo/v1)", True),
    "openslo-alpha": ("apiVersion: openslo/v1alpha\nkind: SLI\nmetadata: {name: x}\nspec: {}\n",
                      "an OpenSLO SLI (openslo/v1alpha)", True),
    "pyrra": ("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\nspec: {target: '99'}\n",
              "a Pyrra ServiceLevelObjective (pyrra.dev/v1alpha1)", True),
    "rule-file": ("groups:\n  - name: g\n    rules:\n      - record: x\n        expr: vector(1)\n",
                  "a Prometheus rule file", False),
    "prometheusrule": ("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\nspec: {groups: []}\n",
                       "a prometheus-operator PrometheusRule object (monitoring.coreos.com/v1)", False),
    "deployment": ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 1}\n",
                   "a Kubernetes Deployment manifest (apps/v1)", False),
    "other": ("repos:\n  - repo: local\n", "YAML with no apiVersion and kind (top-level keys: repos)", False),
}


def test_directories_are_walked_recursively_in_name_order(tmp_path: Path) -> None:
    write(tmp_path / "b.yaml", sla("b"))
    write(tmp_path / "a" / "deeper" / "c.yml", sla("c"))
    write(tmp_path / "a" / "notes.txt", "not yaml")
    write(tmp_path / ".git" / "hidden.yaml", sla("hidden"))
    found = as_json(str(tmp_path))
    assert found["files"] == [str(tmp_path / "a" / "deeper" / "c.yml"), str(tmp_path / "b.yaml")]
    assert [(s["namespace"], s["name"]) for s in found["slas"]] == [("team", "c"), ("team", "b")]
    assert found["problems"] == [] and found["skipped"] == []
    result = run(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "ok  team/c" in result.stdout and "ok  team/b" in result.stdout


@pytest.mark.parametrize("name", FOREIGN)
def test_a_walk_skips_what_is_not_an_sla_and_names_it(tmp_path: Path, name: str) -> None:
    text, looks_like, slo_format = FOREIGN[name]
    write(tmp_path / "sub" / f"{name}.yaml", text)
    write(tmp_path / "ok.yaml", sla("ok"))
    result = run(str(tmp_path))
    assert result.exit_code == (3 if slo_format else 0), result.output
    assert f"this is {looks_like}, not a pledge SLA" in result.output
    assert ("`pledge import`" in result.output) is slo_format
    found = as_json(str(tmp_path))
    assert [s["file"] for s in found["skipped"]] == [str(tmp_path / "sub" / f"{name}.yaml")]
    assert found["skipped"][0]["severity"] == ("warning" if slo_format else "note")
    assert [p["severity"] for p in found["problems"]] == (["warning"] if slo_format else [])
    assert [s["name"] for s in found["slas"]] == ["ok"]


@pytest.mark.parametrize("name", FOREIGN)
def test_a_foreign_file_named_is_an_error_unless_skip_foreign(tmp_path: Path, name: str) -> None:
    text, looks_like, slo_format = FOREIGN[name]
    file = write(tmp_path / f"{name}.yaml", text)
    result = run(str(file))
    assert result.exit_code == 1
    assert f"{file}:1: error: this is {looks_like}" in result.output
    skipped = run("--skip-foreign", str(file))
    assert skipped.exit_code == (3 if slo_format else 0), skipped.output


def test_plain_form_and_sla_beside_other_documents_are_read(tmp_path: Path) -> None:
    plain = ("metadata: {name: plain}\nspec:\n  service: s\n  objectives:\n"
             "    - {name: a, target: '99', sli: {ratio: {errors: e, total: t}}}\n")
    write(tmp_path / "plain.yaml", plain)
    deployment = FOREIGN["deployment"][0]
    write(tmp_path / "app.yaml", f"{deployment}---\n{sla('app')}")
    found = as_json(str(tmp_path))
    assert sorted(s["name"] for s in found["slas"]) == ["app", "plain"]
    assert found["skipped"] == [{"file": str(tmp_path / "app.yaml"), "document": 1, "line": 1, "severity": "note",
                                 "reason": "document 1: this is a Kubernetes Deployment manifest (apps/v1), not a pledge SLA"}]
    assert run(str(tmp_path / "app.yaml")).exit_code == 0


def test_non_utf8_file_is_an_error_naming_the_byte_offset(tmp_path: Path) -> None:
    bad = write(tmp_path / "nested" / "latin1.yaml", b"apiVersion: pledge.dev/v1alpha1\nmetadata: {name: caf\xe9}\n")
    for args in ([str(tmp_path)], [str(bad)]):
        result = run(*args)
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert f"{bad}:2: error: not UTF-8: byte 0xe9 at offset 52" in result.output
    found = as_json(str(tmp_path))
    assert found["problems"][0]["line"] == 2 and found["problems"][0]["path"] is None


def test_unreadable_or_non_utf8_files_are_spec_errors_for_the_api(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "edge-probes.yaml", tmp_path)
    source = DirectorySource(tmp_path)
    asyncio.run(source.start())
    assert [s.key for s in source.slas()] == ["platform/edge-probes"]
    assert len(read_directory(EXAMPLES)) == len(list(EXAMPLES.glob("*.yaml")))
    write(tmp_path / "latin1.yaml", b"name: caf\xe9\n")
    with pytest.raises(SpecError, match=r"(?s)latin1.yaml.*not UTF-8: byte 0xe9 at offset 9"):
        read_directory(tmp_path)


def test_a_directory_read_before_start_is_not_read_again(tmp_path: Path) -> None:
    """`pledge serve` reads the files to fail before serving; start-up keeps what it read (1,000 files
    take seconds to read) rather than reading them a second time."""
    shutil.copy(EXAMPLES / "edge-probes.yaml", tmp_path)
    source = DirectorySource(tmp_path)
    source.read()
    write(tmp_path / "later.yaml", b"name: [\n")
    asyncio.run(source.start())
    assert [s.key for s in source.slas()] == ["platform/edge-probes"]
    with pytest.raises(SpecError, match="later.yaml"):
        DirectorySource(tmp_path).read()


def test_two_slas_with_one_name_are_an_error_naming_both_places(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yaml", sla("api"))
    second = write(tmp_path / "sub" / "b.yaml", f"{sla('other')}---\n{sla('api')}")
    result = run(str(tmp_path))
    assert result.exit_code == 1
    assert f"SLA team/api is defined twice: at {first}:1 and at {second}:16 (document 2)" in result.output
    problem = as_json(str(tmp_path))["problems"][0]
    assert (problem["file"], problem["line"], problem["path"]) == (str(second), 16, "metadata.name")
    within = write(tmp_path / "one.yaml", f"{sla('x')}---\n{sla('x')}")
    assert f"at {within}:1 (document 1) and at {within}:16 (document 2)" in run(str(within)).output
    twice = as_json(str(first), str(tmp_path), str(first))  # one file reached three times is read once
    assert twice["files"].count(str(first)) == 1


def test_a_file_both_walked_and_named_counts_as_named(tmp_path: Path) -> None:
    sloth = write(tmp_path / "sloth.yaml", FOREIGN["sloth"][0])
    assert run(str(tmp_path)).exit_code == 3
    assert run(str(tmp_path), str(sloth)).exit_code == 1
    assert run(str(sloth), str(tmp_path)).exit_code == 1


def test_json_output_has_files_slas_problems_skipped_and_deferred(tmp_path: Path) -> None:
    write(tmp_path / "good.yaml", sla("good"))
    write(tmp_path / "bad.yaml", sla("bad", target="100"))
    write(tmp_path / "broken.yaml", "metadata: {name: [\n")
    write(tmp_path / "rules.yaml", FOREIGN["rule-file"][0])
    result = run("--format", "json", str(tmp_path))
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert set(found) == {"files", "slas", "problems", "skipped", "deferred"}
    assert found["deferred"] == []  # outside a git work tree no change can be seen waiting
    assert found["slas"] == [{"file": str(tmp_path / "good.yaml"), "line": 1, "namespace": "team", "name": "good",
                              "objectives": ["availability"], "window": "30d rolling"}]
    bad, broken = found["problems"]
    assert bad == {"file": str(tmp_path / "bad.yaml"), "line": 10, "path": "spec.objectives[0].target",
                   "message": 'must be between 0 and 100 exclusive, got "100"', "severity": "error"}
    assert broken["file"] == str(tmp_path / "broken.yaml") and broken["path"] is None and broken["line"] == 2
    assert broken["message"].startswith("not valid YAML")
    assert [s["file"] for s in found["skipped"]] == [str(tmp_path / "rules.yaml")]
    write(tmp_path / "control.yaml", 'a: 1\nb: "\x01"\n')
    control = as_json(str(tmp_path / "control.yaml"))["problems"]
    assert [(p["line"], p["message"][:20]) for p in control] == [(2, "not valid YAML: unac")]


def test_exit_codes_valid_errors_warnings(tmp_path: Path) -> None:
    write(tmp_path / "ok.yaml", sla("ok"))
    assert run(str(tmp_path)).exit_code == 0
    write(tmp_path / "sloth.yaml", FOREIGN["sloth"][0])
    assert run(str(tmp_path)).exit_code == 3
    write(tmp_path / "bad.yaml", sla("bad", target="100"))
    assert run(str(tmp_path)).exit_code == 1  # errors win over warnings
    assert run().exit_code == 2
    help_text = run("--help").output
    assert all(f"  {code}  " in help_text for code in "0123")


def test_generate_refuses_duplicate_slas_and_writes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "slas" / "a.yaml", sla("api"))
    write(tmp_path / "slas" / "b.yaml", sla("api"))
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "slas"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "defined twice" in result.output
    assert not (tmp_path / "out").exists()


def test_generate_refuses_two_slas_that_would_share_a_file(tmp_path: Path) -> None:
    write(tmp_path / "slas.yaml", f"{sla('c', namespace='a-pledge-b')}---\n{sla('b-pledge-c', namespace='a')}")
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "slas.yaml"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "would hold the rules of both a-pledge-b/c and a/b-pledge-c" in result.output
    assert not (tmp_path / "out").exists()


def test_generate_skips_what_a_walk_finds_that_is_not_an_sla(tmp_path: Path) -> None:
    write(tmp_path / "slas" / "a.yaml", sla("api"))
    write(tmp_path / "slas" / "rules" / "old.yaml", FOREIGN["rule-file"][0])
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "slas"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.stderr and [p.name for p in (tmp_path / "out").iterdir()] == ["team-pledge-api.yaml"]


def test_the_pre_commit_hook_passes_on_staged_non_sla_yaml(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"], hook["pass_filenames"]) == (
        "pledge-validate", "pledge validate", "python", True)
    files = [write(tmp_path / "ok.yaml", sla("ok")), write(tmp_path / "ci.yml", FOREIGN["other"][0])]
    result = CliRunner().invoke(main, [*hook["entry"].split()[1:], *hook["args"], *map(str, files)])
    assert result.exit_code == 0, result.output
    files.append(write(tmp_path / "bad.yaml", sla("bad", target="100")))
    assert CliRunner().invoke(main, [*hook["entry"].split()[1:], *hook["args"], *map(str, files)]).exit_code == 1


def test_field_paths_map_to_lines_and_problems_split() -> None:
    node = yaml.compose("metadata:\n  labels:\n    app.kubernetes.io/name: x\n"
                        "spec:\n  objectives:\n    - name: a\n      target: '1'\n")
    assert node is not None
    assert line_of(node, "metadata.labels.app.kubernetes.io/name") == 3
    assert line_of(node, "spec.objectives[0].target") == 7
    assert line_of(node, "spec.objectives[0].sli") == 6  # missing: the objective's line
    assert line_of(node, "spec.objectives[5]") == 5
    assert line_of(node, None) == 1
    assert split_problem("spec.objectives[0].target: must be: odd") == ("spec.objectives[0].target", "must be: odd")
    assert split_problem("(document): not valid YAML") == (None, "not valid YAML")


def test_serve_reads_a_directory_as_validate_does(tmp_path: Path) -> None:
    """One reader: `pledge serve --sla-dir` walks sub-folders, skips other YAML and refuses an SLA
    defined twice (with two targets it used to serve whichever file came first)."""
    write(tmp_path / "rules.yaml", "groups: [{name: g, rules: []}]\n")
    write(tmp_path / "team" / "api.yaml", sla("api"))
    write(tmp_path / "team" / "web.yaml", sla("web"))
    assert [s.key for s in read_directory(tmp_path)] == ["team/api", "team/web"]
    assert run(str(tmp_path)).exit_code == 0

    async def served() -> tuple[list[str], list[str]]:
        source = DirectorySource(tmp_path)
        skipped = [s.file for s in source.read().skipped]
        await source.start()
        await source.validated()  # `pledge validate` in a child process after start
        try:
            return [s.key for s in source.slas()], skipped
        finally:
            await source.stop()

    assert asyncio.run(served()) == (["team/api", "team/web"], [str(tmp_path / "rules.yaml")])
    write(tmp_path / "other" / "api.yaml", sla("api", target="99.5"))
    with pytest.raises(SpecError, match="SLA team/api is defined twice") as refused:
        DirectorySource(tmp_path).read()
    validated = as_json(str(tmp_path))["problems"]
    assert [p["message"] for p in validated if p["severity"] == "error"] == [
        line.split("metadata.name: ", 1)[1] for line in str(refused.value).splitlines() if "defined twice" in line]
