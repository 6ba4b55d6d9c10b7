"""Nothing left behind: the long-running commands, run for real as processes, stopped by SIGTERM,
SIGINT or SIGHUP stop their children (the demo's Prometheus, the API), remove their temporary
directories and end; a second signal during a shutdown that hangs still ends it at once."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from pledge.api.auth import TokenEntry
from tests.support.cluster import ApiServer, emulated, example

pytestmark = pytest.mark.integration
AT = "2026-11-18T14:37:00Z"
DEMO = [sys.executable, "-m", "pledge", "demo", "--keep", "--days", "1", "--at", AT]
EXIT_WITHIN = 20.0  # seconds from the signal to the process' end
STOPPING = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


def sigint_as_default() -> None:
    """pytest-xdist's workers ignore SIGINT and a child inherits that: restore Ctrl-C's default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Output:
    """A child's output, line by line, read in a thread so a silent child never blocks a wait."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stream = process.stdout
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{self.text}") from None
            if line is None:
                raise AssertionError(f"the output ended before a line matching {pattern!r}:\n{self.text}")
            self.lines.append(line)
            if found := re.search(pattern, line):
                return found

    def rest(self, timeout: float = 10.0) -> str:
        """Everything up to the end of the output, or what came within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        try:
            while (line := self._queue.get(timeout=max(0.0, deadline - time.monotonic()))) is not None:
                self.lines.append(line)
        except queue.Empty:
            pass
        return self.text

    @property
    def text(self) -> str:
        return "".join(self.lines)


@contextmanager
def started(command: list[str], tmp_path: Path, **env: str) -> Iterator[tuple[subprocess.Popen[str], Output]]:
    """The command in a session of its own, with its own empty TMPDIR; killed with everything it
    started if the test fails before it ends."""
    (tmp_path / "tmp").mkdir()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True, preexec_fn=sigint_as_default,
                               env={**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PYTHONUNBUFFERED": "1",
                                    "COLUMNS": "160", **env})
    try:
        yield process, Output(process)
    finally:  # the whole session: a Prometheus the command left behind goes too
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def ends_within(process: subprocess.Popen[str], output: Output, seconds: float) -> float:
    started_at = time.monotonic()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running {seconds} s after the signal:\n{output.rest(0.5)}") from None
    return time.monotonic() - started_at


def alive(pid: int) -> bool:
    """Running or stopped, not dead or a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pending(pid: int, sig: signal.Signals) -> bool:
    """Whether ``sig`` waits for the (stopped) process ``pid``."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return bool((int(status["ShdPnd"], 16) | int(status["SigPnd"], 16)) & (1 << (sig - 1)))


def demo_up(output: Output) -> tuple[int, int, int]:
    """Wait for `pledge demo --keep` to be up: Prometheus' pid and port, the API's port."""
    api = output.wait_for(r"^API http://127\.0\.0\.1:(\d+)", 240)  # after the history: Prometheus restarted
    prometheus = output.wait_for(r"^Prometheus http://127\.0\.0\.1:(\d+) \(pid (\d+)\) and the API stay up", 30)
    return int(prometheus[2]), int(prometheus[1]), int(api[1])


@pytest.mark.parametrize("sig", STOPPING, ids=lambda s: s.name)
def test_demo_keep_leaves_nothing_behind(sig: signal.Signals, tmp_path: Path) -> None:
    with started(DEMO, tmp_path) as (demo, output):
        prometheus, prometheus_port, api_port = demo_up(output)
        assert alive(prometheus) and listening(prometheus_port) and listening(api_port)
        assert list((tmp_path / "tmp").iterdir()), "the demo's Prometheus keeps its files in TMPDIR"

        demo.send_signal(sig)
        ends_within(demo, output, EXIT_WITHIN)

    assert "stopped; Prometheus shut down" in output.rest()
    assert demo.returncode == (0 if sig == signal.SIGINT else -sig)  # ended by the signal, once clean
    assert not alive(prometheus), "the demo's Prometheus is still running"
    assert not listening(prometheus_port) and not listening(api_port)
    assert list((tmp_path / "tmp").iterdir()) == [], "the demo left temporary files behind"


def test_a_second_signal_ends_a_hanging_shutdown(tmp_path: Path) -> None:
    """The demo's Prometheus frozen (SIGSTOP) ignores the demo's SIGTERM, so the demo's shutdown waits
    out the 10 s grace before a SIGKILL; a second SIGTERM cuts that short and still kills it."""
    with started(DEMO, tmp_path) as (demo, output):
        prometheus, prometheus_port, _ = demo_up(output)
        os.kill(prometheus, signal.SIGSTOP)
        try:
            demo.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + EXIT_WITHIN
            while not pending(prometheus, signal.SIGTERM):  # the demo is stopping its Prometheus
                assert demo.poll() is None and time.monotonic() < deadline, output.text
                time.sleep(0.02)
            demo.send_signal(signal.SIGTERM)
            took = ends_within(demo, output, EXIT_WITHIN)
        finally:
            if alive(prometheus):
                os.kill(prometheus, signal.SIGCONT)

    assert took < 5.0, f"the second signal took {took:.1f} s to end the demo: it waited out the grace period"
    assert "stopped; Prometheus shut down" in output.rest()
    assert demo.returncode == -signal.SIGTERM
    assert not alive(prometheus) and not listening(prometheus_port)
    assert list((tmp_path / "tmp").iterdir()) == [], "the demo left temporary files behind"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_answering(url: str, process: subprocess.Popen[str], output: Output, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"stopped during start-up:\n{output.rest()}"
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer within {timeout} s"
        time.sleep(0.05)


@pytest.mark.parametrize("sig", STOPPING, ids=lambda s: s.name)
def test_serve_shuts_the_app_down(sig: signal.Signals, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(yaml.safe_dump({"tokens": [TokenEntry.from_token("ops", "secret", ["read:all"]).model_dump()]}))
    port = free_port()
    command = [sys.executable, "-m", "pledge", "serve", "--prometheus-url", "http://127.0.0.1:9", "--tokens-file",
               str(tokens), "--port", str(port)]
    with started(command, tmp_path) as (serve, output):
        wait_answering(f"http://127.0.0.1:{port}/healthz", serve, output)
        serve.send_signal(sig)
        ends_within(serve, output, EXIT_WITHIN)

    assert "Application shutdown complete" in output.rest()  # the app's own shutdown ran: not killed
    assert serve.returncode == (0 if sig == signal.SIGINT else -sig)
    assert not listening(port)
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
async def test_operator_stops_on_the_signal(sig: signal.Signals, tmp_path: Path) -> None:
    """`pledge operator` on an emulated Kubernetes, up once its liveness endpoint answers."""
    import asyncio

    port = free_port()
    command = [sys.executable, "-m", "pledge", "operator", "--standalone", "--log-format", "plain",
               f"--liveness=http://127.0.0.1:{port}/healthz"]
    async with emulated(ApiServer(), tmp_path / "kubeconfig") as cluster:
        with started(command, tmp_path, KUBECONFIG=str(tmp_path / "kubeconfig")) as (operator, output):
            await cluster.create_sla(example("api-availability.yaml"))
            await asyncio.to_thread(wait_answering, f"http://127.0.0.1:{port}/healthz", operator, output)
            operator.send_signal(sig)
            await asyncio.to_thread(ends_within, operator, output, EXIT_WITHIN)

    assert "Operator is stopping" in output.rest()  # kopf's own graceful stop, not a kill
    assert operator.returncode == (0 if sig == signal.SIGTERM else -sig)
    assert not listening(port)
    assert list((tmp_path / "tmp").iterdir()) == []
