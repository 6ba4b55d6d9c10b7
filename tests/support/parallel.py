"""How `make test` spreads the suite over pytest-xdist workers (`-n N --dist loadgroup`); hooks that
tests/conftest.py imports, so they act in the controller and in every worker.

A world built once per session or module stays built once per run, not once per worker: a test that
uses one of the project's session- or module-scoped fixtures joins that fixture's group (one group
per instance of a parametrized one), tests sharing any such fixture join one group, and a group runs
on one worker. Every other test goes to whichever worker is free.

xdist's own ``loadgroup`` reads ``xdist_group`` marks into node ids in a way pytest 9.2 ignores (it
sets ``Item._nodeid``), so groups travel another way: each worker writes the group of every node id
it collected to a file named in its ``workerinput``, and the scheduler here (xdist's loadscope
scheduler, scoped by those groups) reads it once all workers have collected.

Work goes out in collection order, and the tests of ``LONG_FIRST`` are collected first: they wait on
wall clocks (a live Alertmanager, Prometheus' once-a-minute block reload) or run for minutes on one
core, so they start while the many short tests fill the other workers. Without ``-n`` nothing here
changes what runs or in which order.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

GROUPS_FILE = "pledge_groups_file"  # the workerinput key
SHARED_SCOPES = ("session", "package", "module", "class")
LONG_FIRST = (
    "tests/integration/test_backfill_command.py",
    "tests/integration/test_backfill_restart.py",
    "tests/integration/test_signals.py",
    "tests/integration/test_alertmanager_e2e.py",
    "tests/unit/test_rules_tiles.py::test_calendar_period_counts_every_tile_since_it_began",
    "tests/integration/test_replayed_alerts.py",
    "tests/integration/test_promtool_long.py",
    "tests/victoria/",
    "tests/api/",
    "tests/console/",
    "tests/integration/test_sli_accuracy.py",
    "tests/forecasting/test_calibration.py",
    "tests/integration/test_alert_timing.py",
    "tests/integration/test_demo.py",
    "tests/importers/test_peer_alert_timing.py",
    "tests/integration/test_dashboards.py",
)


def shared_worlds(item: pytest.Item) -> list[str]:
    """Keys of the project's shared fixture instances ``item`` uses."""
    fixture_info = getattr(item, "_fixtureinfo", None)
    if fixture_info is None:
        return []
    callspec = getattr(item, "callspec", None)
    defs = fixture_info.name2fixturedefs
    shared = [defs[name][-1] for name in getattr(item, "fixturenames", ()) if defs.get(name)]
    shared = [f for f in shared if f.scope in SHARED_SCOPES and f.func.__module__.startswith("tests.")]
    instance = "".join(f"#{name}{index}" for name, index in sorted(callspec.indices.items())
                       if defs.get(name) and defs[name][-1].scope in SHARED_SCOPES) if callspec else ""
    return [f"{f.func.__module__}.{f.argname}" if f.scope == "session" else
            f"{item.nodeid.split('::')[0]}{instance}" for f in shared]


def groups(items: list[pytest.Item]) -> dict[str, str]:
    """Node id -> group, for the items that share a world (connected through shared fixtures)."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    keys = {item.nodeid: shared_worlds(item) for item in items}
    for found in keys.values():
        for key in found[1:]:
            a, b = sorted((root(found[0]), root(key)))
            parent[b] = a
    return {nodeid: root(found[0]) for nodeid, found in keys.items() if found}


def rank(item: pytest.Item) -> int:
    return next((n for n, prefix in enumerate(LONG_FIRST) if item.nodeid.startswith(prefix)), len(LONG_FIRST))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a worker of `--dist loadgroup`: the long tests first, and every item's group written down."""
    path = getattr(config, "workerinput", {}).get(GROUPS_FILE)
    if path is None:
        return
    items.sort(key=rank)  # stable: pytest's own order (by fixture scope) stays within each rank
    found = groups(items)
    Path(path).with_suffix(f".{config.workerinput['workerid']}.json").write_text(json.dumps(found))  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Controller: tell each worker where to write its groups."""
    if node.config.getoption("dist") == "loadgroup":
        node.workerinput[GROUPS_FILE] = str(_groups_path(node.config))


def _groups_path(config: pytest.Config) -> Path:
    if not hasattr(config, "_pledge_groups"):
        config._pledge_groups = Path(tempfile.mkdtemp(prefix="pledge-xdist-")) / "groups"  # type: ignore[attr-defined]
    path: Path = config._pledge_groups  # type: ignore[attr-defined]
    return path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class SharedWorldScheduling(LoadScopeScheduling):  # type: ignore[misc]
        """Scopes are the groups the workers wrote; work goes out in the workers' collection order."""

        def __init__(self, config: pytest.Config, log: Any) -> None:
            super().__init__(config, log)
            self.groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:
                written = sorted(_groups_path(config).parent.glob("groups.*.json"))
                assert written, "no worker wrote its groups (tests/support/parallel.py)"
                self.groups = json.loads(written[0].read_text())
            return self.groups.get(nodeid, nodeid)

    config.option.loadscopereorder = False
    return SharedWorldScheduling(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "_pledge_groups"):
        shutil.rmtree(_groups_path(config).parent, ignore_errors=True)
