"""`pledge validate` notes a budget-critical change that waits for the next period (issue 27, item 5):
a real git repository, the edit dated by the file's modification time (a fixed instant)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from click.testing import CliRunner

from pledge.commands.main import main
from tests.support.gitrepo import Repo, sla_yaml

EDITED = dt.datetime(2026, 11, 30, 12, tzinfo=dt.timezone.utc).timestamp()


def edited(tmp_path: Path, second: str, committed: bool = False) -> Path:
    repo = Repo(tmp_path / "slas")
    repo.write("checkout.yaml", sla_yaml(target="99.9"))
    repo.commit("checkout: 99.9 %", at="2026-10-03T09:00:00Z")
    file = repo.write("checkout.yaml", second)
    if committed:
        repo.commit("checkout: tighter", at="2026-11-30T12:00:00Z", author="Bob")
    os.utime(file, (EDITED, EDITED))
    return file


def test_a_target_raised_on_the_30th_takes_effect_on_the_1st(tmp_path: Path) -> None:
    file = edited(tmp_path, sla_yaml(target="99.95"))
    result = CliRunner().invoke(main, ["validate", str(file)])
    assert result.exit_code == 0, result.output  # a note, not a warning: pre-commit hooks pass
    assert ("note: spec: shop/checkout: objectives[availability].target changed (budget-critical) under changePolicy "
            "nextPeriod: takes effect on 2026-12-01; the current month keeps revision 1's terms") in result.output


def test_what_waits_for_the_next_period_and_what_does_not(tmp_path: Path) -> None:
    for n, (text, committed) in enumerate([(sla_yaml(target="99.95"), True),
                                            (sla_yaml(description="the checkout path"), False)]):
        file = edited(tmp_path / str(n), text, committed)
        result = CliRunner().invoke(main, ["validate", "--format", "json", str(file)])
        assert result.exit_code == 0, result.output
        deferred = json.loads(result.stdout)["deferred"]
        assert len(deferred) == (1 if n == 0 else 0)  # committed on the 30th: still waits for the 1st
    immediate = sla_yaml(target="99.95").replace("  window: {calendar: month}", "  window: {calendar: month}\n  changePolicy: immediate")
    file = edited(tmp_path / "immediate", immediate)
    assert json.loads(CliRunner().invoke(main, ["validate", "--format", "json", str(file)]).stdout)["deferred"] == []
    assert "deferred" in json.loads(CliRunner().invoke(main, ["validate", "--format", "json", "--no-history",
                                                              str(file)]).stdout)
