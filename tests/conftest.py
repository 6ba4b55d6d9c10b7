"""Fixtures shared across test packages: the API's Prometheus world, built once per session for the
API and the console tests (tests/victoria puts VictoriaMetrics behind the same name)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import World, prometheus_world


@pytest.fixture(scope="session")
def loaded() -> Iterator[World]:
    yield from prometheus_world()
