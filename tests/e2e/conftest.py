"""Kubernetes for the operator tests: a fresh emulated API server per test (tests.support.cluster)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.cluster import ApiServer, Cluster, LeanApiServer, emulated


@pytest.fixture
async def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Cluster]:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    async with emulated(ApiServer(), tmp_path / "kubeconfig") as cluster:
        yield cluster


@pytest.fixture
async def lean_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Cluster]:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    async with emulated(LeanApiServer(), tmp_path / "kubeconfig") as cluster:
        yield cluster


