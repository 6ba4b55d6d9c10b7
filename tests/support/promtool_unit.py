"""Drive `promtool test rules` and read back what rules produced at given times.

promtool only says pass/fail, so each probe expects nothing (``exp_samples: []``) and we parse the
samples it reports under "got:". That turns promtool into a measuring instrument for alert timing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pledge.rules import generate, rule_file, to_yaml
from pledge.sla import parse_sla

INSTALL_HINT = "promtool is missing: install Prometheus with `apt-get install -y prometheus` (Debian) and retry"
# promtool's rule tests cap each query, a rule's included, at 10,000 samples; a rule that hits the cap
# records nothing, which a probe would read as "no data"
QUERY_LIMIT = "query processing would load too many samples"
_GOT = re.compile(r"\{([^}]*)\} ([-+.0-9eE]+|NaN)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_PROBE = re.compile(r'expr: "(?P<expr>(?:[^"\\]|\\.)*)", time: (?P<time>\S+?),\s*\n\s*exp:.*\n\s*got: (?P<got>.*)')
_UNITS = {"y": 365 * 86400, "w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        raise AssertionError(INSTALL_HINT)
    return path


def counter_values(increments: list[float], start: float = 0.0) -> str:
    """promtool's expanding notation for a counter that grows by ``increments[i]`` at step i+1."""
    parts: list[str] = []
    value, i = start, 0
    parts.append(_num(value))
    while i < len(increments):
        j = i
        while j + 1 < len(increments) and increments[j + 1] == increments[i]:
            j += 1
        count = j - i + 1
        first = value + increments[i]
        parts.append(f"{_num(first)}+{_num(increments[i])}x{count - 1}")
        value = first + increments[i] * (count - 1)
        i = j + 1
    return " ".join(parts)


def _num(x: float) -> str:
    return repr(round(x, 9)).removesuffix(".0") if x == int(x) else repr(round(x, 9))


def go_duration(text: str) -> float:
    """'2h2m30s' or '3d' (as promtool prints eval times) -> seconds."""
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)(ms|[ywdhms])", text):
        total += float(number) * _UNITS[unit]
    return total


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


def _parse_got(text: str) -> list[Sample]:
    return [Sample(dict(_LABEL.findall(labels)), float(value)) for labels, value in _GOT.findall(text)]


def probe(rule_files: list[Path], series: dict[str, str], probes: list[tuple[str, float]], interval: int = 30,
          scrape: int | None = None, timeout: float = 600) -> dict[tuple[str, float], list[Sample]]:
    """Evaluate the rules over ``series`` (a sample every ``scrape`` seconds, default ``interval``)
    and return what each (expr, time) probe returned. promtool evaluates every group at
    ``interval``, whatever the group's own interval says."""
    with tempfile.TemporaryDirectory() as tmp:
        test: dict[str, Any] = {
            "rule_files": [str(p) for p in rule_files],
            "evaluation_interval": f"{interval}s",
            "tests": [{
                "interval": f"{scrape or interval}s",
                "input_series": [{"series": name, "values": values} for name, values in series.items()],
                "promql_expr_test": [{"expr": e, "eval_time": f"{int(t)}s", "exp_samples": []} for e, t in probes],
            }],
        }
        path = Path(tmp) / "test.yaml"
        path.write_text(yaml.safe_dump(test))
        result = subprocess.run([promtool(), "test", "rules", str(path)], capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    if "FAILED" not in output and result.returncode != 0:
        raise AssertionError(f"promtool test rules could not run:\n{output}")
    if QUERY_LIMIT in output:
        raise AssertionError(f"a query hit promtool's sample limit:\n{output}")
    found: dict[tuple[str, float], list[Sample]] = {(e, float(t)): [] for e, t in probes}
    for match in _PROBE.finditer(output):
        expr = match["expr"].encode().decode("unicode_escape")
        found[(expr, go_duration(match["time"]))] = _parse_got(match["got"])
    return found


Scenario = tuple[dict[str, Any], dict[str, str]]  # an SLA document and the input series it is probed on


def probe_scenarios(directory: Path, scenarios: dict[str, Scenario],
                    probes: list[tuple[str, float]]) -> dict[tuple[str, float], list[Sample]]:
    """Generate every scenario's rules into one file and probe them over all scenarios' series."""
    groups = [g for document, _ in scenarios.values() for g in generate(parse_sla(document))]
    path = directory / "rules.yaml"
    path.write_text(to_yaml(rule_file(groups)))
    series = {name: values for _, s in scenarios.values() for name, values in s.items()}
    return probe([path], series, probes)
