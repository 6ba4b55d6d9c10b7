"""The guard: no test places its scenario by the wall clock, and no code reads "now" but the clock.

A test world built from today's date tests different data every day and fails on some days only;
code that reads the system time deep inside cannot be asked about another moment. Elapsed time
(``time.monotonic``, ``perf_counter``) is allowed: it measures, it does not place.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WALL_CLOCK = re.compile(r"\btime\.time\(|\bdatetime\.(?:now|utcnow|today)\(|\bdate\.today\(|\btime\.(?:localtime|gmtime)\(\)")
# The one clock of the package, and the one place the test worlds' instant comes from.
ALLOWED = {ROOT / "pledge" / "clock.py", ROOT / "tests" / "support" / "moments.py"}


def offenders(folder: Path, root: Path = ROOT) -> list[str]:
    return [f"{path.relative_to(root)}:{number}: {line.strip()}"
            for path in sorted(folder.rglob("*.py")) if path not in ALLOWED and path != Path(__file__).resolve()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if WALL_CLOCK.search(line)]


@pytest.mark.parametrize("folder", ["pledge", "tests"])
def test_nothing_reads_the_wall_clock_but_the_clock(folder: str) -> None:
    found = offenders(ROOT / folder)
    assert found == [], "read the moment from pledge.clock (code) or tests.support.moments (tests):\n" + "\n".join(found)


def test_the_guard_catches_a_wall_clock_call(tmp_path: Path) -> None:
    # the offending lines are assembled, so that this file holds no wall-clock call itself
    end, now = "END = time." + "time() // 60 * 60", "NOW = dt.datetime." + "now(dt.UTC)"
    (tmp_path / "world.py").write_text(f"import time\n{end}\n{now}\n")
    (tmp_path / "fine.py").write_text("import time\nstarted = time.monotonic()\n")
    assert offenders(tmp_path, tmp_path) == [f"world.py:2: {end}", f"world.py:3: {now}"]
