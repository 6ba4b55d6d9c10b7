"""Clean numbers for rule files: 99.9 % is a budget of 0.001, never 0.0009999999999999432."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

SIGNIFICANT_DIGITS = 12


def clean_decimal(value: Decimal) -> Decimal:
    """Exact where the decimal terminates, else rounded to 12 significant digits; no trailing zeros."""
    if value == 0:
        return Decimal(0)
    rounded = round(value, SIGNIFICANT_DIGITS - value.adjusted() - 1)
    return rounded.normalize()


@lru_cache(maxsize=4096)
def render_number(value: Decimal | float | int) -> str:
    """Plain decimal notation (no exponent) for PromQL and YAML."""
    decimal = clean_decimal(value if isinstance(value, Decimal) else Decimal(repr(value)))
    text = format(decimal, "f")
    return text
