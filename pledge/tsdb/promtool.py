"""promtool and the other Prometheus binaries, found on PATH: a missing one names its Debian package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from pledge.prom.errors import MissingComponent, PrometheusError, PromtoolError

StrPath = str | os.PathLike[str]

_DEBIAN_PACKAGES = {"prometheus": "prometheus", "promtool": "prometheus", "vmalert": "victoria-metrics",
                    "prometheus-alertmanager": "prometheus-alertmanager", "amtool": "prometheus-alertmanager"}
_RULES_FOUND = re.compile(r"SUCCESS: (\d+) rules found")


def find_binary(name: str) -> str:
    """Absolute path of `name` on PATH, or MissingComponent saying which package to install."""
    path = shutil.which(name)
    if path is None:
        raise MissingComponent(name, _DEBIAN_PACKAGES.get(name, name))
    return path


def promtool(*args: StrPath) -> subprocess.CompletedProcess[str]:
    """Run promtool; a failure raises PromtoolError carrying promtool's own explanation."""
    command = [find_binary("promtool"), *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PromtoolError(command, result.returncode, result.stdout, result.stderr)
    return result


def check_rules(path: StrPath) -> int:
    """Validate a rule file (lint findings such as duplicate rules fail too); return its rule count."""
    result = promtool("check", "rules", "--lint=all", "--lint-fatal", path)
    found = _RULES_FOUND.search(result.stdout)
    if found is None:
        raise PrometheusError(
            f"unexpected output from promtool check rules: {result.stdout!r}"
        )
    return int(found.group(1))
