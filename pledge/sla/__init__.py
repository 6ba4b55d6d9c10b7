"""The SLA model: pydantic v2 types, validation with field paths, YAML loading."""

from pledge.sla.duration import Duration, format_duration, parse_duration
from pledge.sla.errors import SpecError
from pledge.sla.loader import parse_yaml
from pledge.sla.model import (
    API_VERSION,
    KIND,
    SLI,
    Alerting,
    BurnTier,
    CreditTier,
    Exclusion,
    Objective,
    ServiceLevelAgreement,
    SLASpec,
    SLAStatus,
    Window,
    parse_sla,
)
from pledge.sla.percent import Percent, budget_ratio, format_percent

__all__ = [
    "API_VERSION", "KIND", "SLI", "Alerting", "BurnTier", "CreditTier", "Duration", "Exclusion", "Objective",
    "Percent", "SLASpec", "SLAStatus", "ServiceLevelAgreement", "SpecError", "Window", "budget_ratio",
    "format_duration", "format_percent", "parse_duration", "parse_sla", "parse_yaml",
]
