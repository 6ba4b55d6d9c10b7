"""Fixtures that run the real Prometheus binaries (Debian package `prometheus`).

Nothing here skips: without the binaries LocalPrometheus and promtool raise MissingComponent,
so the tests fail with a message that says `apt-get install -y prometheus`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pledge.testing import LocalPrometheus

StartPrometheus = Callable[..., LocalPrometheus]


@pytest.fixture
def local_prometheus() -> Iterator[StartPrometheus]:
    """Factory: `local_prometheus(rule_files, evaluation_interval=...)` starts a server.

    Every server started through it is stopped when the test ends, pass or fail.
    """
    started: list[LocalPrometheus] = []

    def start(*args: Any, **kwargs: Any) -> LocalPrometheus:
        prom = LocalPrometheus(*args, **kwargs)
        started.append(prom)
        return prom.start()

    yield start
    for prom in started:
        prom.stop()


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[..., Path]:
    """`write_rules("level0.yml", *rules)`: one group named after the file, in tmp_path."""

    def write(file_name: str, *rules: dict[str, Any]) -> Path:
        path = tmp_path / file_name
        group = {"name": path.stem, "rules": list(rules)}
        path.write_text(yaml.safe_dump({"groups": [group]}, sort_keys=False))
        return path

    return write
