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


# `make test` runs the suite on several pytest-xdist workers (--dist loadgroup). A world built once per
# session or module must stay built once per run, not once per worker: a test that uses one of the
# project's session- or module-scoped fixtures joins that fixture's group (one per instance of a
# parametrized one), tests sharing any such fixture join one group, and a group runs on one worker.
# Every other test goes to whichever worker is free.
_SHARED_SCOPES = ("session", "package", "module", "class")


def _shared_worlds(item: pytest.Item) -> list[str]:
    """Keys of the project's shared fixture instances ``item`` uses."""
    fixture_info = getattr(item, "_fixtureinfo", None)
    if fixture_info is None:
        return []
    callspec = getattr(item, "callspec", None)
    defs = fixture_info.name2fixturedefs
    shared = [defs[name][-1] for name in item.fixturenames if defs.get(name)]
    shared = [f for f in shared if f.scope in _SHARED_SCOPES and f.func.__module__.startswith("tests.")]
    instance = "".join(f"#{name}{index}" for name, index in sorted(callspec.indices.items())
                       if defs.get(name) and defs[name][-1].scope in _SHARED_SCOPES) if callspec else ""
    return [f"{f.func.__module__}.{f.argname}" if f.scope == "session" else
            f"{item.nodeid.split('::')[0]}{instance}" for f in shared]


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    keys = {item.nodeid: _shared_worlds(item) for item in items}
    for found in keys.values():
        for key in found[1:]:
            a, b = sorted((root(found[0]), root(key)))
            parent[b] = a
    for item in items:
        if found := keys[item.nodeid]:
            item.add_marker(pytest.mark.xdist_group(root(found[0]).replace("@", "_").replace("]", "_")))
