"""Percentages as exact decimals: "99.9" must become a budget of exactly 0.001.

The CRD stores them as strings (Kubernetes API conventions avoid floats in specs); plain YAML files
may also write numbers, which are read through their shortest decimal spelling.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

PERCENT_REGEX = r"^[0-9]{1,3}(\.[0-9]+)?$"
_PERCENT = re.compile(PERCENT_REGEX)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError(f'must be a percentage such as "99.9", got {value!r}')
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if not _PERCENT.match(text):
        raise ValueError(f'must be a percentage such as "99.9", got "{value}"')
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already rules this out
        raise ValueError(f'must be a percentage such as "99.9", got "{value}"') from exc


def format_percent(value: Decimal) -> str:
    """'99.90' -> '99.9', '100.0' -> '100': the spelling a person wrote, without noise."""
    text = format(value.normalize(), "f")
    return text


Percent = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    PlainSerializer(format_percent, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PERCENT_REGEX}),
]


def percent_to_ratio(value: Decimal) -> Decimal:
    """99.9 -> 0.999, exactly."""
    return value / Decimal(100)


def budget_ratio(target: Decimal) -> Decimal:
    """Allowed error ratio for a target percentage: 99.9 -> 0.001, exactly."""
    return (Decimal(100) - target) / Decimal(100)
