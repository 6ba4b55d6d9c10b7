"""A throwaway Alertmanager (Debian package prometheus-alertmanager) for end-to-end tests, and amtool."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from pledge.prom.errors import PrometheusError
from pledge.testing.local import free_port, stop_process, wait_ready
from pledge.tsdb.promtool import StrPath, find_binary


def check_config(path: StrPath) -> str:
    """``amtool check-config``: its report, or PrometheusError with amtool's explanation."""
    result = subprocess.run([find_binary("amtool"), "check-config", str(path)], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise PrometheusError(f"amtool check-config refused {path}:\n{result.stdout}{result.stderr}")
    return result.stdout


class LocalAlertmanager:
    """A real Alertmanager on a free loopback port, clustering off, its state in a temporary folder."""

    def __init__(self, config: StrPath, ready_timeout: float = 30.0) -> None:
        self.config = Path(config).resolve()
        self.ready_timeout = ready_timeout
        self._workdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> Self:
        self._workdir = Path(tempfile.mkdtemp(prefix="pledge-alertmanager-"))
        atexit.register(self.stop)
        self.port = free_port()
        command = [find_binary("prometheus-alertmanager"), f"--config.file={self.config}",
                   f"--storage.path={self._workdir}", f"--web.listen-address=127.0.0.1:{self.port}",
                   "--cluster.listen-address="]
        with (self._workdir / "alertmanager.log").open("ab") as log:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(self._process, self.url, self.ready_timeout, lambda: self.log()[-2000:])
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return (self._workdir / "alertmanager.log").read_text(errors="replace") if self._workdir else ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        atexit.unregister(self.stop)
