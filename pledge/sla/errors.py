"""Validation errors that name the field path and the reason, for people and for status conditions."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


Models = dict[str, type[BaseModel]]  # model classes by name, as pydantic's errors name them


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


def given(value: object, limit: int = 40) -> str:
    """A value as the document gave it, in YAML's words: "a", 5, true, null, a mapping, a list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, (list, tuple, set)):
        return "a list" if value else "an empty list"
    if isinstance(value, str):
        text = shown(value)
        return '"' + (text if len(text) <= limit else text[:limit - 1] + "…") + '"'
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return str(value)
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return str(value)
    return "a value of another kind"


def _mapping(class_name: object, models: Models) -> str:
    """"a mapping (name, target, sli)": the fields a model needs (all of them when none is required)."""
    model = models.get(str(class_name))
    if model is None:
        return "a mapping"
    fields = [(field.alias or name, field.is_required()) for name, field in model.model_fields.items()]
    needed = [name for name, required in fields if required] or [name for name, _ in fields]
    return f"a mapping ({', '.join(needed)})" if needed else "a mapping"


def _limit(value: object) -> str:
    """A bound as the document would write it: 0 rather than 0.0, 99.9 rather than Decimal('99.9')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return format(value, "f") if type(value).__name__ == "Decimal" else str(value)


def _items(count: object, noun: str = "item") -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


_NUMBER = {"float_type", "float_parsing", "decimal_type", "decimal_parsing", "complex_type", "complex_str_parsing",
           "fraction_type", "fraction_parsing"}
_WHOLE = {"int_type", "int_parsing", "int_parsing_size", "int_from_float"}
_LIST = {"list_type", "tuple_type", "set_type", "frozen_set_type", "deque_type", "iterable_type", "iteration_error",
         "set_item_not_hashable"}
_MAPPING = {"dict_type", "mapping_type", "frozen_dict_type", "ordered_dict_type", "counter_type", "arguments_type",
            "dataclass_type", "dataclass_exact_type", "named_tuple_type"}
_MOMENT = {"datetime_type", "datetime_parsing", "datetime_object_invalid", "datetime_from_date_parsing"}
_DAY = {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}


def _words(kind: str, ctx: dict[str, Any], value: object, models: Models) -> str:
    """What is wrong, in pledge's words, for each of pydantic's error types (none of its phrases)."""
    got = f", got {given(value)}"
    bound = {"greater_than": ("greater than", "gt"), "greater_than_equal": ("at least", "ge"),
             "less_than": ("less than", "lt"), "less_than_equal": ("at most", "le"),
             "multiple_of": ("a multiple of", "multiple_of")}
    if kind in bound:
        words, key = bound[kind]
        return f"must be {words} {_limit(ctx.get(key))}{got}"
    if kind in ("model_type", "model_attributes_type"):
        return f"must be {_mapping(ctx.get('class_name'), models)}{got}"
    if kind in _MAPPING:
        return f"must be a mapping{got}"
    if kind in _LIST:
        return f"must be a list{got}"
    if kind in ("string_type", "string_sub_type", "string_unicode", "bytes_type", "bytes_invalid_encoding",
                "string_not_ascii"):
        return f"must be text{' (plain ASCII)' if kind == 'string_not_ascii' else ''}{got}"
    if kind in ("string_too_short", "bytes_too_short"):
        return f"must be at least {_items(ctx.get('min_length'), 'character')} long{got}"
    if kind in ("string_too_long", "bytes_too_long"):
        return f"must be at most {_items(ctx.get('max_length'), 'character')} long{got}"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}{got}"
    if kind == "too_short":
        return f"must have at least {_items(ctx.get('min_length'))}, got {ctx.get('actual_length', 'fewer')}"
    if kind == "too_long":
        return f"must have at most {_items(ctx.get('max_length'))}, got {ctx.get('actual_length', 'more')}"
    if kind in _WHOLE:
        return f"must be a whole number{got}"
    if kind in _NUMBER:
        return f"must be a number{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        limit = ctx.get("max_digits", ctx.get("decimal_places", ctx.get("whole_digits")))
        places = {"decimal_max_digits": "digits", "decimal_max_places": "digits after the point",
                  "decimal_whole_digits": "digits before the point"}[kind]
        return f"must have at most {limit} {places}{got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false{got}"
    if kind in ("literal_error", "enum"):
        return f"must be {ctx.get('expected', 'one of the listed values')}{got}"
    if kind == "union_tag_invalid":
        return f"{ctx.get('discriminator')} must be {ctx.get('expected_tags')}, got {given(ctx.get('tag'))}"
    if kind == "union_tag_not_found":
        return f"needs {ctx.get('discriminator')} to say which kind it is"
    if kind == "none_required":
        return f"must be left out{got}"
    if kind in _MOMENT:
        return f"must be a moment in RFC 3339 with an offset (e.g. 2026-12-01T00:00:00Z){got}"
    if kind in _DAY:
        return f"must be a date (e.g. 2026-12-01){got}"
    if kind in ("time_type", "time_parsing"):
        return f"must be a time of day (e.g. 14:30){got}"
    if kind in ("time_delta_type", "time_delta_parsing"):
        return f"must be a duration{got}"
    if kind == "timezone_naive":
        return f"must have no time zone offset{got}"
    if kind in ("timezone_aware", "timezone_offset"):
        return f"needs its time zone offset (Z or e.g. +01:00){got}"
    if kind in ("date_past", "datetime_past"):
        return f"must be in the past{got}"
    if kind in ("date_future", "datetime_future"):
        return f"must be in the future{got}"
    if kind.startswith("url_"):
        return f"must be a URL (e.g. https://status.example.com){got}"
    if kind.startswith("uuid_"):
        return f"must be a UUID{got}"
    if kind in ("json_invalid", "json_type"):
        return f"must be valid JSON{got}"
    if kind in ("recursion_loop", "recursion_depth_exceeded"):
        return "is nested too deeply (or refers to itself)"
    if kind in ("frozen_field", "frozen_instance"):
        return "cannot be changed"
    return f"is not valid here{got}"


def _reason(error: Any, models: Models) -> str:
    kind = str(error["type"])
    if kind in ("value_error", "assertion_error"):  # pledge's own checks: their message is the reason
        message = str(error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return message
    if kind in ("extra_forbidden", "unexpected_keyword_argument", "unexpected_positional_argument", "no_such_attribute"):
        return "unknown field (check the spelling; fields are camelCase)"
    if kind in ("missing", "missing_argument", "missing_keyword_only_argument", "missing_positional_only_argument"):
        return "required field is missing"
    return _words(kind, dict(error.get("ctx") or {}), error.get("input"), models)


# "field: reason" or "field.path[0].field: reason" at the start of a model validator's message.
_FIELD_PREFIX = re.compile(r"^([a-z][a-zA-Z0-9]*(?:\[[0-9]+\]|\.[a-z][a-zA-Z0-9]*)*): (.*)$", re.DOTALL)


def _line(error: Any, models: Models) -> str:
    """"path: reason"; a cross-field check that starts its reason with a field path moves it onto the path."""
    loc = tuple(error["loc"])
    if loc[-1:] == ("[key]",):
        loc = loc[:-2]  # a bad key of a map: the reason names it, the path is the map
    path, reason = field_path(loc), _reason(error, models)
    prefixed = _FIELD_PREFIX.match(reason)
    if prefixed and error["type"] == "value_error":
        path, reason = f"{path}.{prefixed.group(1)}" if path else prefixed.group(1), prefixed.group(2)
    return f"{path or '(document)'}: {reason}"


def describe(error: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    """One readable line per fault in pledge's words, never pydantic's (no "Input should be", URLs or
    type names); ``model`` (the one validated) lets a misplaced value name the fields it should hold.
    A value no member of a union takes gets one line per member: they are joined into one."""
    models = _models_in(model) if model is not None else {}
    lines: dict[str, list[str]] = {}
    for e in error.errors(include_url=False):
        path, _, reason = _line(e, models).partition(": ")
        if reason not in lines.setdefault(path, []):
            lines[path].append(reason)
    return [f"{path}: {_either(reasons)}" for path, reasons in lines.items()]


def _either(reasons: list[str]) -> str:
    """"must be text, got 5" and "must be a number, got 5" -> "must be text or a number, got 5"."""
    if len(reasons) == 1:
        return reasons[0]
    tails = {r.rpartition(", got ")[2] for r in reasons}
    if len(tails) == 1 and all(r.startswith("must be ") and ", got " in r for r in reasons):
        wanted = [r.removeprefix("must be ").rpartition(", got ")[0] for r in reasons]
        return f"must be {' or '.join(wanted)}, got {tails.pop()}"
    return "; or ".join(reasons)


@functools.cache
def _models_in(model: type[BaseModel]) -> Models:
    """Every model class reachable from ``model``'s fields, by class name (what pydantic's errors name)."""
    found: dict[str, type[BaseModel]] = {}

    def walk(kind: Any) -> None:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if kind.__name__ in found:
                return
            found[kind.__name__] = kind
            for field in kind.model_fields.values():
                walk(field.annotation)
        for arg in getattr(kind, "__args__", ()) or ():
            walk(arg)
        origin = getattr(kind, "__origin__", None)
        if origin is not None:
            walk(origin)

    walk(model)
    return found


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
        raise SpecError(describe(exc, model), source) from None
