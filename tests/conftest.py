"""Fixtures shared across test packages: the API's Prometheus world, built once per session for the
API and the console tests (tests/victoria puts VictoriaMetrics behind the same name), the API served
over it, and the hypothesis profiles.

Hypothesis: ``HYPOTHESIS_PROFILE=dev`` explores new examples on each run; the default, ``ci``, runs the
same examples every time (derandomized, no example database) and sets no deadline, as a busy
2-core machine makes any per-example time limit flaky. Tests set only how many examples they need.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import HealthCheck, settings

from pledge.api.server import running_api
from pledge.clock import fixed
from tests.support import world
from tests.support.parallel import (pytest_collection_modifyitems, pytest_configure_node,  # noqa: F401 (hooks)
                                    pytest_unconfigure, pytest_xdist_make_scheduler)
from tests.support.world import World, entries, prometheus_world

settings.register_profile("ci", deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def loaded() -> Iterator[World]:
    yield from prometheus_world()


@pytest.fixture
async def api(loaded: World) -> AsyncIterator[str]:
    """The API over the world's SLAs, as of the world's end (tests/victoria: over its own ``loaded``)."""
    async with running_api(world.SLAS.values(), loaded.prom.url, entries(), clock=fixed(world.AT)) as url:
        yield url

