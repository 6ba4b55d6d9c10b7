"""Prometheus-style durations ("30d", "1h30m"): parsed once, rendered canonically.

Rules embed durations in PromQL, so the spelling must be what Prometheus 2.x and 3.x both accept.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from pledge.sla.units import DAY, HOUR, MINUTE, WEEK
from pledge.sla.errors import given

_UNITS: dict[str, int] = {"w": WEEK, "d": DAY, "h": HOUR, "m": MINUTE, "s": 1}
# ASCII digits only, in Python as in the CRD: a bare \d would also read Arabic-Indic digits ("٣٠d").
DURATION_REGEX = r"^([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$"
_PATTERN = re.compile(r"^(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$")
# Prometheus holds a duration as int64 milliseconds (about 292 years); no SLA needs more than ten years.
MAX_DURATION = 3650 * DAY
_MAX_DIGITS = len(str(MAX_DURATION))


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``30d`` or ``1h30m`` (whole seconds only)."""
    match = _PATTERN.match(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f'must be a duration such as "5m", "1h30m" or "30d", got "{text}"')
    counts = [(v.lstrip("0") or "0", size) for v, size in zip(match.groups(), _UNITS.values()) if v]
    too_long = any(len(v) > _MAX_DIGITS for v, _ in counts)
    seconds = None if too_long else sum(int(v) * size for v, size in counts)
    if seconds is None or seconds > MAX_DURATION:
        raise ValueError(f'must be at most 3650d (10 years, the longest duration pledge accepts), got "{text}"')
    return seconds


@lru_cache(maxsize=1024)
def format_duration(seconds: int) -> str:
    """Canonical spelling: largest units first, ``w`` avoided so ``7d`` stays ``7d``."""
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {seconds}s")
    parts = []
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


class Duration(int):
    """A positive duration in seconds that reads and writes Prometheus spelling."""

    def __str__(self) -> str:
        return format_duration(int(self))

    def __repr__(self) -> str:
        return f"Duration({format_duration(int(self))!r})"

    @classmethod
    def parse(cls, value: Any) -> Duration:
        if isinstance(value, Duration):
            return value
        if isinstance(value, str):
            seconds = parse_duration(value)
        else:
            raise ValueError(f'must be a duration string such as "5m", got {given(value)}')
        if seconds <= 0:
            raise ValueError(f'must be longer than zero, got "{value}"')
        return cls(seconds)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "pattern": DURATION_REGEX, "minLength": 2}
