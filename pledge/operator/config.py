"""Operator settings: one typed object, filled from CLI options or, for `kopf run`, from PLEDGE_* variables.

Both entry points read the same variable names (``ENV``), so a Deployment can switch between them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from pledge.clock import Clock, system
from pledge.rules.render import parse_labels

Output = Literal["prometheusrule", "configmap"]
OUTPUTS: Final[tuple[Output, ...]] = ("prometheusrule", "configmap")

ENV: Final = {
    "output": "PLEDGE_OUTPUT",
    "labels": "PLEDGE_RULE_LABELS",
    "prometheus_url": "PLEDGE_PROMETHEUS_URL",
    "status_interval": "PLEDGE_STATUS_INTERVAL",
    "prediction_interval": "PLEDGE_PREDICTION_INTERVAL",
    "retry_delay": "PLEDGE_RETRY_DELAY",
}


@dataclass(frozen=True)
class OperatorConfig:
    """What the operator writes and how often it refreshes status.

    ``labels`` go on every rule object (e.g. ``release: kube-prometheus-stack`` for a ruleSelector);
    ``prometheus_url`` enables the status timer, which also writes breach predictions, refreshed every
    ``prediction_interval`` seconds (a forecast round costs far more than a status read); ``retry_delay`` is the first backoff step after a
    transient API failure (it doubles per retry, up to ``max_retry_delay``). ``clock`` is "now" for
    status figures, predictions and condition times (a test pins it).
    """

    output: Output = "prometheusrule"
    labels: Mapping[str, str] = field(default_factory=dict)
    prometheus_url: str | None = None
    status_interval: float = 300.0
    prediction_interval: float = 900.0
    retry_delay: float = 5.0
    max_retry_delay: float = 300.0
    clock: Clock = field(default=system, compare=False)

    def __post_init__(self) -> None:
        if self.output not in OUTPUTS:
            raise ValueError(f'output must be one of {", ".join(OUTPUTS)}, got "{self.output}"')
        if min(self.status_interval, self.prediction_interval, self.retry_delay) <= 0:
            raise ValueError("status interval, prediction interval and retry delay must be positive")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> OperatorConfig:
        """Settings for `kopf run -m pledge.operator`; a bad value names its variable."""
        try:
            return cls(
                output=_output(environ.get(ENV["output"], "prometheusrule")),
                labels=parse_labels(environ.get(ENV["labels"], "")),
                prometheus_url=environ.get(ENV["prometheus_url"]) or None,
                status_interval=float(environ.get(ENV["status_interval"], "300")),
                prediction_interval=float(environ.get(ENV["prediction_interval"], "900")),
                retry_delay=float(environ.get(ENV["retry_delay"], "5")),
            )
        except ValueError as exc:
            raise ValueError(f"invalid operator setting in {', '.join(ENV.values())}: {exc}") from None

    def backoff(self, retry: int) -> float:
        """Seconds before retry number ``retry`` (0-based): exponential, capped."""
        return float(min(self.max_retry_delay, self.retry_delay * 2 ** min(retry, 16)))


def _output(value: str) -> Output:
    for output in OUTPUTS:
        if value == output:
            return output
    raise ValueError(f'output must be one of {", ".join(OUTPUTS)}, got "{value}"')
