"""Syntax checks for PromQL written by users, before any rule is produced from it."""

from __future__ import annotations

import promql_parser

WINDOW_PLACEHOLDER = "{{window}}"


def _parse(text: str) -> object:
    try:
        return promql_parser.parse(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(f'is not valid PromQL ({exc}): "{text}"') from exc


def check_expression(text: str) -> str:
    """Any valid PromQL expression."""
    _parse(text)
    return text.strip()


def check_selector(text: str) -> str:
    """A plain metric selector such as ``http_requests_total{code=~"5.."}`` (pledge adds rate())."""
    text = text.strip()
    parsed = _parse(text)
    if not isinstance(parsed, promql_parser.VectorSelector):
        raise ValueError(
            f'must be a metric selector such as http_requests_total{{code=~"5.."}} without functions or '
            f'ranges (pledge adds rate() and windows itself), got "{text}"; use a raw SLI for expressions'
        )
    return text


def check_window_template(text: str) -> str:
    """A PromQL error ratio with ``{{window}}`` standing for the range, e.g. ``[{{window}}]``."""
    text = text.strip()
    if WINDOW_PLACEHOLDER not in text:
        raise ValueError(f'must contain the placeholder {WINDOW_PLACEHOLDER} where the range goes, got "{text}"')
    _parse(text.replace(WINDOW_PLACEHOLDER, "5m"))
    return text
