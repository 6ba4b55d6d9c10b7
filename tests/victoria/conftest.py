"""The API tests' world, stored in VictoriaMetrics instead of Prometheus: raw history imported,
recorded history and the alerts of the world's end replayed by vmalert, and a live vmalert
evaluating the same generated rules (to show they evaluate without error).

The checks are tests/api's own (tests.support.api_checks); only the store behind ``loaded`` changes:
the ``api`` fixture (tests/conftest.py) serves the API over it.
Nothing here skips: without the binaries the harness fails with an install hint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from pledge.rules import generate
from tests.support import world
from tests.support.victoria import alerts_evaluated, running_victoria
from tests.support.world import World, say

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "victoria: needs VictoriaMetrics and vmalert (Debian package victoria-metrics)")


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    metrics, truth = world.build()
    rules = world.write_rules(Path(tmp_path_factory.mktemp("victoria-rules")))
    with running_victoria() as victoria:
        for timeline, raw, groups in world.histories(metrics):
            victoria.load_history(timeline, raw, groups, step=say)
        victoria.record(generate(world.SLAS[world.FRESH]), world.END + 1, world.FRESH_HOURS * 3_600, step=say)
        victoria.start_vmalert([rules])
        asyncio.run(alerts_evaluated(victoria.url))
        yield World(victoria, truth, rate_from_previous_sample=True)
