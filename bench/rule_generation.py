"""Rule generation throughput for 10,000 SLAs (goal: >= 2,000 SLAs/s).

Prints SLAs per second for generating the rule groups, and for generating and rendering them to
YAML, each as a ratio to a reference measured in the same run: validating the same SLAs with the
pydantic model (work every consumer does anyway), so machine noise cancels out.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, Callable

import yaml

from pledge.rules import generate, rule_file, to_yaml
from pledge.sla import ServiceLevelAgreement, parse_sla

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
COUNT = 10_000


def documents(count: int) -> list[dict[str, Any]]:
    """``count`` SLA documents: the examples, renamed, round-robin."""
    base = [yaml.safe_load(p.read_text()) for p in sorted(EXAMPLES.glob("*.yaml"))]
    out = []
    for i in range(count):
        doc = copy.deepcopy(base[i % len(base)])
        doc["metadata"]["name"] = f"{doc['metadata']['name']}-{i}"
        out.append(doc)
    return out


def timed(label: str, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {COUNT / seconds:>10,.0f} SLAs/s  ({seconds:.2f} s)")
    return seconds


def main() -> None:
    docs = documents(COUNT)
    slas: list[ServiceLevelAgreement] = []
    reference = timed("reference: validate (pydantic)", lambda: slas.extend(parse_sla(d) for d in docs))
    rules = sum(len(g.rules) for s in slas[: len(list(EXAMPLES.glob("*.yaml")))] for g in generate(s))
    gen = timed("generate rule groups", lambda: [generate(s) for s in slas])
    full = timed("generate + render YAML", lambda: [to_yaml(rule_file(generate(s))) for s in slas])
    print(f"rules per SLA (examples, mean): {rules / len(list(EXAMPLES.glob('*.yaml'))):.1f}")
    print(f"ratio generate / validate: {gen / reference:.2f}x the time; generate+render / validate: {full / reference:.2f}x")
    print(f"goal >= 2,000 SLAs/s: generate {'met' if COUNT / gen >= 2000 else 'MISSED'}, "
          f"generate+render {'met' if COUNT / full >= 2000 else 'MISSED'}")


if __name__ == "__main__":
    main()
