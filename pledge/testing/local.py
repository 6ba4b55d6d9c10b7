"""Run the Prometheus binaries here: a throwaway server for tests and `pledge demo`, and promtool."""

from __future__ import annotations

import atexit
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from pledge.prom.errors import PrometheusError, PrometheusUnavailable
from pledge.tsdb.promtool import StrPath, find_binary, promtool

_GRACE_SECONDS = 10.0
_RULES_FOUND = re.compile(r"SUCCESS: (\d+) rules found")

def check_rules(path: StrPath) -> int:
    """Validate a rule file (lint findings such as duplicate rules fail too); return its rule count."""
    result = promtool("check", "rules", "--lint=all", "--lint-fatal", path)
    found = _RULES_FOUND.search(result.stdout)
    if found is None:
        raise PrometheusError(
            f"unexpected output from promtool check rules: {result.stdout!r}"
        )
    return int(found.group(1))


Refusal = Callable[[str], str | None]


def ruler_refusals(directory: Path) -> dict[str, Refusal]:
    """Why promtool (lint included) and vmalert (``-dryRun``) refuse a rule file's text, None when
    they accept it; each writes the text under ``directory`` first."""
    vmalert = find_binary("vmalert")

    def by_promtool(text: str) -> str | None:
        path = directory / "promtool.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            check_rules(path)
        except PrometheusError as exc:
            return str(exc)
        return None

    def by_vmalert(text: str) -> str | None:
        path = directory / "vmalert.yaml"
        path.write_text(text, encoding="utf-8")
        result = subprocess.run([vmalert, "-dryRun", f"-rule={path}"], capture_output=True, text=True, check=False)
        return None if result.returncode == 0 else (result.stdout + result.stderr)[-2000:]

    return {"promtool": by_promtool, "vmalert": by_vmalert}


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after a grace period: a server gets to flush, but never hangs a run. Cut
    short (a second Ctrl-C while it waits), SIGKILL at once: the process is never left running."""
    process.terminate()
    try:
        process.wait(timeout=_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it for a bind to port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float, log_tail: Callable[[], str]) -> None:
    """Until ``url``/-/ready answers 200; PrometheusUnavailable with the log's tail if the process
    exits first or ``timeout`` seconds pass (Prometheus and Alertmanager share the endpoint)."""
    name = Path(str(process.args[0])).name if isinstance(process.args, list) else "server"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrometheusUnavailable(
                f"{name} exited with {process.returncode} during start-up; log tail:\n{log_tail()}"
            )
        try:
            if httpx.get(f"{url}/-/ready", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise PrometheusUnavailable(f"{name} not ready after {timeout}s; log tail:\n{log_tail()}")


class LocalPrometheus:
    """A real Prometheus on a free loopback port with its own TSDB, stopped at exit at the latest.

    Retention is ten years because backfilled history lies far in the past: with the 15d default,
    Prometheus silently deletes older blocks at start-up.
    """

    def __init__(
        self,
        rule_files: Sequence[StrPath] = (),
        *,
        evaluation_interval: str = "30s",
        data_dir: StrPath | None = None,
        ready_timeout: float = 30.0,
        extra_config: Mapping[str, Any] | None = None,
        extra_flags: Sequence[str] = (),
    ) -> None:
        self.rule_files = [Path(path).resolve() for path in rule_files]
        self.extra_config = dict(extra_config or {})  # e.g. scrape_configs, alerting: an end-to-end test's world
        self.extra_flags = list(extra_flags)
        self.evaluation_interval = evaluation_interval
        self.ready_timeout = ready_timeout
        self._given_data_dir = (
            Path(data_dir).resolve() if data_dir is not None else None
        )
        self._workdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self._port:
            raise PrometheusError("LocalPrometheus is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def workdir(self) -> Path:
        """Holds prometheus.yml, prometheus.log and (unless data_dir was given) the TSDB."""
        if self._workdir is None:
            raise PrometheusError("LocalPrometheus is not started")
        return self._workdir

    @property
    def data_dir(self) -> Path:
        return self._given_data_dir or self.workdir / "data"

    @property
    def log_path(self) -> Path:
        return self.workdir / "prometheus.log"

    def start(self) -> Self:
        """Start on a fresh port and wait until /-/ready; a no-op if already running."""
        if self._process is not None:
            return self
        self._workdir = Path(tempfile.mkdtemp(prefix="pledge-prometheus-"))
        atexit.register(self.stop)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._port = free_port()
        self._write_config()
        self._launch()
        return self

    def stop(self) -> None:
        """Stop the process and remove the temporary files (a stop cut short too); idempotent, so
        atexit may call it too."""
        try:
            self._terminate()
        finally:
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None
            self._port = 0
            atexit.unregister(self.stop)

    def restart(self) -> None:
        """Stop and start on the same port and TSDB: the quick way to load backfilled blocks."""
        self._terminate()
        self._launch()

    def reload(self, rule_files: Sequence[StrPath] | None = None) -> None:
        """Re-read the configuration (optionally a new rule file list) without a restart."""
        if rule_files is not None:
            self.rule_files = [Path(path).resolve() for path in rule_files]
            self._write_config()
        try:
            response = httpx.post(f"{self.url}/-/reload", timeout=30.0)
        except httpx.TransportError as exc:
            raise PrometheusUnavailable(
                f"cannot reach {self.url}: {exc!r}", exc
            ) from exc
        if response.status_code != 200:
            raise PrometheusError(
                f"reload failed: {response.text.strip()}\n{self._log_tail()}"
            )

    def _write_config(self) -> None:
        """Write prometheus.yml (as JSON, which is YAML): the rule files, and no scrapes unless
        ``extra_config`` asks for them."""
        config = {
            "global": {"evaluation_interval": self.evaluation_interval},
            "rule_files": [str(path) for path in self.rule_files],
            **self.extra_config,
        }
        (self.workdir / "prometheus.yml").write_text(json.dumps(config, indent=2))

    def _launch(self) -> None:
        """Spawn the process and wait for readiness; on any failure leave nothing behind."""
        try:
            self._process = self._spawn()
            self._wait_ready(self._process)
        except BaseException:
            self.stop()
            raise

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [
            find_binary("prometheus"),
            f"--config.file={self.workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.data_dir}",
            "--storage.tsdb.retention.time=3650d",
            "--web.enable-lifecycle",
            "--web.enable-admin-api",
            f"--web.listen-address=127.0.0.1:{self._port}",
            *self.extra_flags,
        ]
        with self.log_path.open("ab") as log_file:
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        wait_ready(process, self.url, self.ready_timeout, self._log_tail)

    def _terminate(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; safe to call when nothing runs."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
