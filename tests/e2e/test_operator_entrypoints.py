"""Both entry points as a platform would run them: separate processes, JSON logs, liveness endpoint."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.cluster import CONFIGMAPS, RULES, Cluster, eventually, example, ready

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


async def test_pledge_operator_command_logs_json_and_answers_liveness(cluster: Cluster, tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-c", "from pledge.commands.operator import operator; operator()",
               "--standalone", "--rule-label", "release=kps", f"--liveness=http://127.0.0.1:{port}/healthz"]
    with process(command, {"PLEDGE_RULE_LABELS": "release=env,team=sre"}, tmp_path / "log"):
        await cluster.create_sla(example("api-availability.yaml"))
        await eventually(lambda: ready(cluster, "platform", "api-availability"), timeout=30, what="Ready")
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/healthz")

    assert response.status_code == 200
    assert response.json() == {"reconciled": 1}
    labels = cluster.get(RULES, "platform", "pledge-api-availability")["metadata"]["labels"]
    assert (labels["release"], "team" in labels) == ("kps", False)  # the option replaced PLEDGE_RULE_LABELS
    lines = [json.loads(line) for line in (tmp_path / "log").read_text().splitlines() if line.strip()]
    assert any(line.get("message", "").startswith("wrote PrometheusRule pledge-api-availability") for line in lines)
    assert all({"message", "timestamp", "severity"} <= set(line) for line in lines)


async def test_kopf_run_module_reads_its_settings_from_the_environment(cluster: Cluster, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "kopf", "run", "-m", "pledge.operator.kopf_main", "--standalone", "--all-namespaces",
               "--log-format=json"]
    with process(command, {"PLEDGE_OUTPUT": "configmap", "PLEDGE_RULE_LABELS": "release=kps"}, tmp_path / "log"):
        await cluster.create_sla(example("api-availability.yaml"))
        await eventually(lambda: ready(cluster, "platform", "api-availability"), timeout=30, what="Ready")

    config_map = cluster.get(CONFIGMAPS, "platform", "pledge-api-availability")
    assert config_map["metadata"]["labels"]["release"] == "kps"
    assert not cluster.exists(RULES, "platform", "pledge-api-availability")


def test_kopf_run_module_stops_on_a_bad_variable_and_names_it() -> None:
    command = [sys.executable, "-m", "kopf", "run", "-m", "pledge.operator.kopf_main", "--standalone", "-A"]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PLEDGE_STATUS_INTERVAL": "0"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "PLEDGE_STATUS_INTERVAL" in done.stderr and "greater than 0" in done.stderr
