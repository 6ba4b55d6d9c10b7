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


_NOT_UNICODE = "is not valid Unicode text (it holds a lone surrogate such as \\ud800)"


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(key: object) -> str:
    """A key as an error message can print it, invalid text escaped."""
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8")


def invalid_text(node: Any, loc: tuple[int | str, ...] = ()) -> list[str]:
    """A "path: reason" line for every key or string value that is not valid Unicode."""
    if isinstance(node, str):
        return [] if _is_unicode(node) else [f"{field_path(loc) or '(document)'}: {_NOT_UNICODE}"]
    if isinstance(node, dict):
        keys = [f"{field_path(loc) or '(document)'}: a key {_NOT_UNICODE}" for k in node if isinstance(k, str) and not _is_unicode(k)]
        return keys + [p for k, v in node.items() for p in invalid_text(v, (*loc, shown(k)))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in invalid_text(v, (*loc, i))]
    return []


def validate(model: type[M], data: Any, source: str = "") -> M:
    if invalid := invalid_text(data):  # pydantic's own checks would raise UnicodeEncodeError on such text
        raise SpecError(invalid, source)
    try:
        return model.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise SpecError(describe(exc), source) from None
