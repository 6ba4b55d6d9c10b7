"""promtool and the other Prometheus binaries, found on PATH: a missing one names its Debian package."""

from __future__ import annotations

import os
import shutil
import subprocess

from pledge.prom.errors import MissingComponent, PromtoolError

StrPath = str | os.PathLike[str]

_DEBIAN_PACKAGES = {"prometheus": "prometheus", "promtool": "prometheus", "vmalert": "victoria-metrics",
                    "prometheus-alertmanager": "prometheus-alertmanager", "amtool": "prometheus-alertmanager"}


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
