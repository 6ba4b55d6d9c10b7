"""Operator settings: one typed object, filled from arguments (`pledge operator`'s options) over PLEDGE_* variables.

Every setting is read from ``PLEDGE_<NAME>`` (labels from ``PLEDGE_RULE_LABELS``), whichever entry point
runs the operator, so a Deployment can switch between them. A bad value's error names its variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import AliasGenerator, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from pledge.clock import Clock, system
from pledge.rules.render import parse_labels

Output = Literal["prometheusrule", "configmap"]
OUTPUTS: Final[tuple[Output, ...]] = get_args(Output)
PREFIX: Final = "PLEDGE_"


class OperatorConfig(BaseSettings):
    """What the operator writes and how often it refreshes status.

    ``labels`` go on every rule object (e.g. ``release: kube-prometheus-stack`` for a ruleSelector);
    ``prometheus_url`` enables the status timer, which also writes breach predictions, refreshed every
    ``prediction_interval`` seconds (a forecast round costs far more than a status read); ``retry_delay`` is the first backoff step after a
    transient API failure (it doubles per retry, up to ``max_retry_delay``). ``clock`` is "now" for
    status figures, predictions and condition times (a test pins it): code sets it, never the environment,
    and it takes no part in equality or serialisation.
    """

    # The variable names are also the validation aliases, so an error names the variable to fix; arguments
    # go by field name. An empty variable counts as unset (PLEDGE_PROMETHEUS_URL="" leaves the timer off).
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="forbid", validate_by_name=True,
        alias_generator=AliasGenerator(validation_alias=lambda name: PREFIX + name.upper()))

    output: Output = "prometheusrule"
    labels: Annotated[Mapping[str, str], NoDecode] = Field(default_factory=dict, validation_alias=PREFIX + "RULE_LABELS")
    prometheus_url: str | None = None
    status_interval: float = Field(300.0, gt=0)
    prediction_interval: float = Field(900.0, gt=0)
    retry_delay: float = Field(5.0, gt=0)
    max_retry_delay: float = Field(300.0, gt=0)
    _clock: Clock  # private, so no source fills it; read through the (frozen) ``clock`` property

    def __init__(self, *, clock: Clock = system, **settings: Any) -> None:
        """``settings`` by field name win over the environment."""
        super().__init__(**settings)
        self._clock = clock

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: object) -> object:
        """``PLEDGE_RULE_LABELS`` is "k=v,k2=v2", as the CLIs' --rule-label options give them."""
        return parse_labels(value) if isinstance(value, str) else value

    @property
    def clock(self) -> Clock:
        return self._clock

    def __eq__(self, other: object) -> bool:
        """Equal settings, whatever the clocks (``fixed`` makes a new function each time)."""
        return isinstance(other, OperatorConfig) and self.model_dump() == other.model_dump()

    def backoff(self, retry: int) -> float:
        """Seconds before retry number ``retry`` (0-based): exponential, capped."""
        return float(min(self.max_retry_delay, self.retry_delay * 2 ** min(retry, 16)))
