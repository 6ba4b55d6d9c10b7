"""Syntax checks for PromQL written by users, before any rule is produced from it."""

from __future__ import annotations

import re

import promql_parser

WINDOW_PLACEHOLDER = "{{window}}"
_STRINGS = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`""", re.DOTALL)


def _parse(text: str) -> object:
    try:
        parsed = promql_parser.parse(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(f'is not valid PromQL ({exc}): "{text}"') from exc
    if "#" in _STRINGS.sub("", text):
        raise ValueError(
            f'must not hold a # comment: pledge writes the expression into longer ones, where a comment would '
            f'hide the rest of the line, got "{text}"'
        )
    return parsed


def check_selector(text: str | None) -> str | None:
    """A plain metric selector such as ``http_requests_total{code=~"5.."}`` (pledge adds rate())."""
    if text is None:
        return None
    text = text.strip()
    parsed = _parse(text)
    if not isinstance(parsed, promql_parser.VectorSelector):
        raise ValueError(
            f'must be a metric selector such as http_requests_total{{code=~"5.."}} without functions or '
            f'ranges (pledge adds rate() and windows itself), got "{text}"; use a raw SLI for expressions'
        )
    if parsed.offset is not None or parsed.at is not None:
        raise ValueError(f'must not use offset or @ (pledge places the windows itself), got "{text}"')
    return text


def value_type(parsed: object) -> str:
    """What an expression evaluates to: "vector", "matrix", "scalar" or "string"."""
    if isinstance(parsed, (promql_parser.VectorSelector, promql_parser.AggregateExpr)):
        return "vector"
    if isinstance(parsed, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr)):
        return "matrix"
    if isinstance(parsed, promql_parser.Call):
        return str(parsed.func.return_type).removeprefix("ValueType.").lower()
    if isinstance(parsed, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
        return value_type(parsed.expr)
    if isinstance(parsed, promql_parser.BinaryExpr):
        sides = {value_type(parsed.lhs), value_type(parsed.rhs)}
        return "vector" if "vector" in sides else "scalar"
    return "string" if isinstance(parsed, promql_parser.StringLiteral) else "scalar"


def check_window_template(text: str) -> str:
    """A PromQL error ratio with ``{{window}}`` standing for the range, e.g. ``[{{window}}]``."""
    text = text.strip()
    if WINDOW_PLACEHOLDER not in text:
        raise ValueError(f'must contain the placeholder {WINDOW_PLACEHOLDER} where the range goes, got "{text}"')
    kind = value_type(_parse(text.replace(WINDOW_PLACEHOLDER, "5m")))
    if kind != "vector":
        raise ValueError(f'must evaluate to an instant vector of error ratios (0..1), got a {kind}: "{text}"')
    return text
