"""docs/testing-rules.md's promtool test of a pledge SLA, run as the page says: the committed rules
are what `pledge generate` prints today, real promtool passes the committed test, and fails it
when one expectation is off (so a pass means something)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pledge.commands.main import main
from tests.support.promtool_unit import promtool

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "promtool"
GENERATE = "pledge generate docs/promtool/checkout.yaml > docs/promtool/checkout.rules.yaml"
TEST = "promtool test rules docs/promtool/checkout-test.yaml"


def test_the_page_shows_the_commands_run_here() -> None:
    page = (ROOT / "docs" / "testing-rules.md").read_text()
    assert GENERATE in page and TEST in page


def test_the_committed_rules_are_what_pledge_generates() -> None:
    command, output = GENERATE.split(" > ")
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(main, [*args[:-1], str(ROOT / args[-1])])
    assert result.exit_code == 0, result.output
    assert result.stdout == (ROOT / output).read_text(), f"stale: run `{GENERATE}`"


def promtool_test(directory: Path) -> subprocess.CompletedProcess[str]:
    args = shlex.split(TEST)[1:]
    return subprocess.run([promtool(), *args], cwd=directory, capture_output=True, text=True, timeout=300)


def test_promtool_passes_the_example() -> None:
    result = promtool_test(ROOT)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_promtool_fails_a_wrong_expectation(tmp_path: Path) -> None:
    copy = tmp_path / "docs" / "promtool"
    shutil.copytree(EXAMPLE, copy)
    test = copy / "checkout-test.yaml"
    text = test.read_text()
    assert text.count("value: 2880000\n") == 1
    test.write_text(text.replace("value: 2880000\n", "value: 2880001\n"))
    result = promtool_test(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and 'expr: "pledge:sli_requests:period_increase"' in output, output
