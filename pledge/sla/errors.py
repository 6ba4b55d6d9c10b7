"""Validation errors that name the field path and the reason, for people and for status conditions."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class SpecError(ValueError):
    """An invalid SLA: ``problems`` lists one "path: reason" line per fault."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "invalid SLA:\n  " + "\n  ".join(problems))


def field_path(loc: tuple[int | str, ...]) -> str:
    """('spec', 'objectives', 1, 'target') -> 'spec.objectives[1].target'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith("function-") or part in {"str", "int", "float", "Decimal"}:
            continue  # pydantic's internal validator names say nothing to a user
        else:
            path += f".{part}" if path else part
    return path


def _reason(error: Any) -> str:
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if error["type"] == "extra_forbidden":
        return "unknown field (check the spelling; fields are camelCase)"
    if error["type"] == "missing":
        return "required field is missing"
    return message


# "field: reason" or "field.path[0].field: reason" at the start of a model validator's message.
_FIELD_PREFIX = re.compile(r"^([a-z][a-zA-Z0-9]*(?:\[[0-9]+\]|\.[a-z][a-zA-Z0-9]*)*): (.*)$", re.DOTALL)


def _line(error: Any) -> str:
    """"path: reason"; a cross-field check that starts its reason with a field path moves it onto the path."""
    loc = tuple(error["loc"])
    if loc[-1:] == ("[key]",):
        loc = loc[:-2]  # a bad key of a map: the reason names it, the path is the map
    path, reason = field_path(loc), _reason(error)
    prefixed = _FIELD_PREFIX.match(reason)
    if prefixed and error["type"] == "value_error":
        path, reason = f"{path}.{prefixed.group(1)}" if path else prefixed.group(1), prefixed.group(2)
    return f"{path or '(document)'}: {reason}"


def describe(error: ValidationError) -> list[str]:
    """One readable line per fault, without pydantic's URLs and type names."""
    return [_line(e) for e in error.errors()]


def validate(model: type[M], data: Any, source: str = "") -> M:
    try:
        return model.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise SpecError(describe(exc), source) from None
