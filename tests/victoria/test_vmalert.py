"""The generated rules in vmalert: every example parses as MetricsQL, every rule of the API world
evaluates without error, and exactly the burn-rate alerts the raw counts call for fire."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import pledge
from pledge.prom import PrometheusClient
from pledge.rules import generate, rule_file, to_yaml
from pledge.sla import parse_yaml
from tests.support import world
from tests.support.api_checks import expected_burns
from tests.support.hostile import write_rules
from tests.support.victoria import binary
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.victoria]
EXAMPLES = sorted((Path(pledge.__file__).parent / "examples").glob("*.yaml"))
MARGIN = 0.1  # each expected alert is decided by ratios this far from the threshold: no coin flips


def dry_run(path: Path) -> subprocess.CompletedProcess[str]:
    """vmalert's own check: parse every file, validate expressions as MetricsQL and templates."""
    return subprocess.run([binary("vmalert"), "-dryRun", f"-rule={path}"], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_rules_load_in_vmalert(path: Path, tmp_path: Path) -> None:
    for sla in parse_yaml(path.read_text(), str(path)):
        rules = tmp_path / f"{sla.metadata.name}.yaml"
        rules.write_text(to_yaml(rule_file(generate(sla))))
        result = dry_run(rules)
        assert result.returncode == 0, result.stdout + result.stderr


def test_user_text_with_template_delimiters_loads_in_vmalert(tmp_path: Path) -> None:
    """vmalert reads alert labels and annotations as Go templates too: pledge's escaping suits it."""
    result = dry_run(write_rules(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_binaries_fail_with_an_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AssertionError, match=r"vmalert is missing: .*apt-get install -y victoria-metrics"):
        binary("vmalert")


def test_vmalert_rejects_a_broken_rule(tmp_path: Path) -> None:
    """The check above can fail: a rule MetricsQL cannot parse is refused, named."""
    rules = tmp_path / "broken.yaml"
    rules.write_text("groups:\n- name: broken\n  rules:\n  - record: pledge:broken:rate5m\n    expr: sum(rate(x[5m]) by\n")
    result = dry_run(rules)
    assert result.returncode != 0 and "pledge:broken:rate5m" in result.stdout + result.stderr


async def test_every_world_rule_evaluates_without_error(loaded: World) -> None:
    async with PrometheusClient(loaded.prom.url) as client:  # VictoriaMetrics proxies /api/v1/rules
        groups = await client.rule_groups()
    expected = {g.name: len(g.rules) for sla in world.SLAS.values() for g in generate(sla)}
    assert {g["name"]: len(g["rules"]) for g in groups} == expected
    evaluated = [r for g in groups for r in g["rules"] if not str(r.get("lastEvaluation", "")).startswith("0001")]
    assert len(evaluated) >= sum(n for name, n in expected.items() if name.endswith("-alerts"))
    failed = {r["name"]: r["lastError"] for r in evaluated if r.get("health") != "ok" or r.get("lastError")}
    assert failed == {}


async def test_burn_rate_alerts_fire_in_vmalert_as_the_raw_counts_say(loaded: World) -> None:
    """The "burning" SLA burns its budget about 10x too fast for 8 hours: the page-slow and both
    ticket tiers fire, page-fast (14.4x) does not, and no other SLA or customer alerts."""
    async with PrometheusClient(loaded.prom.url) as client:  # vmalert's replay wrote ALERTS up to the world's end
        recorded = await client.query('ALERTS{alertname="SLAErrorBudgetBurn",alertstate="firing"}', at=world.AT)
    expected = expected_burns(loaded, world.AT)
    assert {tier for sla, _, tier in expected if sla == "burning"} == {"page-slow", "ticket-fast", "ticket-slow"}
    assert {(s.labels["sla"], s.labels.get("customer", ""), s.labels["burn_tier"]) for s in recorded} == expected
