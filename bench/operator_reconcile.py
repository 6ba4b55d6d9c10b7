"""Reconcile 1,000 SLAs with the real operator on kmock's emulated API server (goals: <= 60 s, <= 300 MB).

The operator runs as its own process (`kopf run -m pledge.operator.kopf_main`), so its peak RSS (VmHWM) is
its own, not the emulator's. The reference, measured in the same run: building the same rule
objects in-process (parse, generate, render, hash), the work the operator cannot avoid; the ratio
shows what the Kubernetes round trips and kopf's bookkeeping cost on top, whatever the machine.

Run from the repository root: .venv/bin/python bench/operator_reconcile.py [COUNT]
"""

from __future__ import annotations

import asyncio
import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import kmock
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pledge.operator.config import OperatorConfig  # noqa: E402
from pledge.operator.objects import desired  # noqa: E402
from pledge.sla import parse_sla  # noqa: E402
from tests.e2e.conftest import SLAS, Cluster, LeanApiServer, emulated  # noqa: E402

GOAL_SECONDS, GOAL_MB = 60.0, 300.0


def documents(count: int) -> list[dict[str, Any]]:
    """``count`` SLAs from the examples, renamed, round-robin, in ten namespaces."""
    base = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    out = []
    for i in range(count):
        doc = copy.deepcopy(base[i % len(base)])
        doc["metadata"].update(name=f"{doc['metadata']['name']}-{i}", namespace=f"bench-{i % 10}", uid=f"uid-{i}")
        out.append(doc)
    return out


def reference(docs: list[dict[str, Any]]) -> float:
    """Seconds to build every rule object in-process: the floor for any operator."""
    start = time.perf_counter()
    for doc in docs:
        desired(parse_sla(doc), doc, OperatorConfig())
    return time.perf_counter() - start


def all_ready(emulator: kmock.KubernetesEmulator, docs: list[dict[str, Any]]) -> bool:
    """Stops at the first SLA not Ready yet, so polling takes little from the emulator it shares a loop with."""
    for doc in docs:
        status = emulator.objects[SLAS, doc["metadata"]["namespace"], doc["metadata"]["name"]].get("status", {})
        if not any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])):
            return False
    return True


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc (Linux only)")


async def reconcile(docs: list[dict[str, Any]], workdir: Path) -> tuple[float, float, float]:
    """Seconds from operator start until every SLA is Ready, the operator's CPU seconds and peak RSS (MB)."""
    async with emulated(LeanApiServer(), workdir / "kubeconfig") as cluster:
        await create_all(cluster, docs)
        env = {**os.environ, "KUBECONFIG": str(workdir / "kubeconfig")}
        # BENCH_PY_ARGS="-m cProfile -o op.prof" profiles the operator process.
        python = [sys.executable, *os.environ.get("BENCH_PY_ARGS", "").split()]
        command = [*python, "-m", "kopf", "run", "-m", "pledge.operator.kopf_main", "--standalone", "-A", "--log-format=json"]
        with (workdir / "operator.log").open("wb") as log:
            start = time.perf_counter()
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                while not all_ready(cluster.emulator, docs):
                    if process.poll() is not None or time.perf_counter() - start > 600:
                        raise RuntimeError(f"operator stopped or too slow; see {workdir / 'operator.log'}")
                    await asyncio.sleep(0.5)
                seconds = time.perf_counter() - start
                return seconds, cpu_seconds(process.pid), peak_rss_mb(process.pid)
            finally:
                process.terminate()
                process.wait(timeout=30)


async def create_all(cluster: Cluster, docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        path = f"/apis/pledge.dev/v1alpha1/namespaces/{doc['metadata']['namespace']}/servicelevelagreements"
        await cluster.send("POST", path, doc)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    docs = documents(count)
    floor = reference(docs)
    with tempfile.TemporaryDirectory(prefix="pledge-bench-") as tmp:
        seconds, cpu, rss = asyncio.run(reconcile(docs, Path(tmp)))
    print(f"SLAs reconciled                  {count:>10,}")
    print(f"reference: build rule objects    {floor:>10.2f} s   ({count / floor:,.0f} SLAs/s)")
    print(f"operator: start -> all Ready     {seconds:>10.2f} s   ({count / seconds:,.0f} SLAs/s)"
          f"   goal <= {GOAL_SECONDS:.0f} s: {'met' if seconds <= GOAL_SECONDS else 'MISSED'}")
    print(f"ratio operator / reference       {seconds / floor:>10.1f} x")
    print(f"operator CPU time                {cpu:>10.2f} s   (the rest is the emulator, same machine)")
    print(f"operator peak RSS                {rss:>10.0f} MB  goal <= {GOAL_MB:.0f} MB: "
          f"{'met' if rss <= GOAL_MB else 'MISSED'}")


if __name__ == "__main__":
    main()
