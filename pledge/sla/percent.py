"""Percentages (and probabilities) as exact decimals: "99.9" must become a budget of exactly 0.001.

The CRD stores them as strings (Kubernetes API conventions avoid floats in specs); plain YAML files
may also write numbers, which are read through their shortest decimal spelling.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pledge.sla.errors import given

# Written without "%" everywhere (the field says it is a percentage), from 0 to 100; leading zeros are
# allowed so the pattern refuses exactly what _to_decimal refuses.
PERCENT_REGEX = r"^0*(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$"
_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_WITH_SIGN = re.compile(r"^([0-9]*\.?[0-9]+) *%$")


def _text(value: Any, example: str) -> str:
    """The spelling of a number as written; floats through their shortest decimal spelling."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError(f"must be {example}, got {given(value)}")
    return repr(value) if isinstance(value, float) else str(value).strip()


def _to_decimal(value: Any) -> Decimal:
    text = _text(value, 'a percentage such as "99.9"')
    if _WITH_SIGN.match(text):
        raise ValueError(f'must be written without "%" (the field is a percentage: "99.9%" is written "99.9"), got "{value}"')
    if not _NUMBER.match(text):
        raise ValueError(f'must be a percentage such as "99.9", got "{value}"')
    number = Decimal(text)
    if number > 100:
        raise ValueError(f'must be at most 100 (a percentage), got "{value}"')
    return number


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


# A probability strictly between 0 and 1, written as a fraction ("0.8", "0.95"): no "%" here either,
# as for percentages. The schema pattern states the open interval, so the API server refuses what the
# model refuses.
PROBABILITY_REGEX = r"^0*\.[0-9]*[1-9][0-9]*$"
_FRACTION = re.compile(r"^[0-9]*\.?[0-9]+$")


def _to_probability(value: Any) -> Decimal:
    text = _text(value, 'a probability such as "0.8"')
    signed = _WITH_SIGN.match(text)
    if signed:
        fraction = format_percent(Decimal(signed.group(1)) / Decimal(100))
        raise ValueError(f'must be a fraction without "%" (write "{fraction}" for {signed.group(1)} %), got "{value}"')
    if not _FRACTION.match(text):
        raise ValueError(f'must be a probability such as "0.8", got "{value}"')
    probability = Decimal(text)
    if not Decimal(0) < probability < Decimal(1):
        raise ValueError(f'must be between 0 and 1 exclusive (a fraction such as "0.8"), got "{value}"')
    return probability.normalize()


Probability = Annotated[
    Decimal,
    BeforeValidator(_to_probability),
    PlainSerializer(format_percent, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PROBABILITY_REGEX}),
]
