"""Percentages (and probabilities) as exact decimals: "99.9" must become a budget of exactly 0.001.

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


# A probability strictly between 0 and 1: a fraction ("0.8", "0.95") or a percentage with its sign
# ("80%"). The schema pattern states the open interval, so the API server refuses what the model refuses.
PROBABILITY_REGEX = r"^(0*\.[0-9]*[1-9][0-9]*%?|0*[1-9][0-9]?(\.[0-9]+)?%)$"
_NUMBER = re.compile(r"^([0-9]*\.?[0-9]+)(%?)$")


def _to_probability(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError(f'must be a probability such as "0.8" or "80%", got {value!r}')
    text = repr(value) if isinstance(value, float) else str(value).strip()
    match = _NUMBER.match(text)
    if match is None:
        raise ValueError(f'must be a probability such as "0.8" or "80%", got "{value}"')
    probability = Decimal(match.group(1)) / (Decimal(100) if match.group(2) else Decimal(1))
    if not Decimal(0) < probability < Decimal(1):
        raise ValueError(f'must be between 0 and 1 exclusive (a fraction such as "0.8", or "80%"), got "{value}"')
    return probability.normalize()


Probability = Annotated[
    Decimal,
    BeforeValidator(_to_probability),
    PlainSerializer(format_percent, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PROBABILITY_REGEX}),
]
