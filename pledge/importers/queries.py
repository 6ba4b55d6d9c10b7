"""PromQL and numbers as peers write them, read into what pledge's SLI kinds take."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import promql_parser

from pledge.sla.promql import WINDOW_PLACEHOLDER, check_selector

# Sloth (and Sloth's OpenSLO v1alpha support) write Go templates: {{.window}}, {{ .window }}.
_GO_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")
# sum(rate(SELECTOR[{{window}}])), optionally "sum by (a, b) (...)": what pledge's ratio SLI records.
_SUM_RATE = re.compile(
    r"^\s*sum\s*(?:by\s*\((?P<by>[^)]*)\)\s*)?\(\s*rate\s*\(\s*(?P<selector>.+?)\s*\[\{\{window\}\}\]\s*\)\s*\)\s*$",
    re.DOTALL,
)
_NAME_UNSAFE = re.compile(r"[^a-z0-9-]+")
_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


def pledge_window(query: str) -> str:
    """A Go-template window (``{{.window}}``) as pledge's placeholder."""
    return _GO_WINDOW.sub(WINDOW_PLACEHOLDER, query).strip()


@dataclass(frozen=True)
class SumRate:
    """``sum [by (...)] (rate(selector[window]))``: a counter selector and its grouping labels."""

    selector: str
    grouping: tuple[str, ...]


def sum_rate(query: str) -> SumRate | None:
    """The selector and grouping of a query that is exactly a summed rate, else None."""
    match = _SUM_RATE.match(pledge_window(query))
    if match is None:
        return None
    try:
        selector = check_selector(match["selector"])
    except ValueError:
        return None
    assert selector is not None
    grouping = tuple(label.strip() for label in (match["by"] or "").split(",") if label.strip())
    return SumRate(selector, grouping)


@dataclass(frozen=True)
class Selector:
    """A parsed metric selector: its name and matchers (``__name__`` folded into the name)."""

    name: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, operator, value)

    def text(self, without: str = "") -> str:
        """The selector's matchers in braces (``{}`` left out when none), leaving out label ``without``."""
        kept = [f'{label}{op}"{_escape(value)}"' for label, op, value in self.matchers if label != without]
        return "{" + ",".join(kept) + "}" if kept else ""

    def value(self, label: str) -> str | None:
        return next((v for name, op, v in self.matchers if name == label and op == "="), None)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def parse_selector(text: str) -> Selector | None:
    """A plain metric selector, else None."""
    try:
        parsed = promql_parser.parse(text.strip())
    except (ValueError, TypeError):
        return None
    if not isinstance(parsed, promql_parser.VectorSelector) or parsed.offset is not None or parsed.at is not None:
        return None
    matchers = [(m.name, _OPS[str(m.op)], m.value) for m in parsed.matchers.matchers]
    name = parsed.name or next((v for label, op, v in matchers if label == "__name__" and op == "="), "")
    return Selector(name, tuple(m for m in matchers if m[0] != "__name__")) if name else None


@dataclass(frozen=True)
class Histogram:
    """A classic histogram's bucket selector and count selector read as pledge's latency SLI."""

    histogram: str
    selector: str
    threshold: float


def histogram(bucket: str, count: str) -> Histogram | str:
    """``x_bucket{...,le="0.3"}`` over ``x_count{...}`` with the same other matchers, else why not."""
    fast, total = parse_selector(bucket), parse_selector(count)
    if fast is None or total is None:
        return "the success and total metrics must be plain selectors"
    le = fast.value("le")
    if not fast.name.endswith("_bucket") or le is None:
        return f'the success metric must be a histogram bucket with le="...", got "{bucket}"'
    base = fast.name.removesuffix("_bucket")
    if total.name not in (f"{base}_count", f"{base}_bucket") or fast.text("le") != total.text("le"):
        return f"the total metric must be {base}_count with the success metric's other matchers"
    try:
        threshold = float(le)
    except ValueError:
        return f'le="{le}" is not a number'
    return Histogram(base, fast.text("le"), threshold)


def percent(value: object) -> str:
    """A percentage as pledge writes it ("99.9"), from a peer's number or string."""
    text = repr(value) if isinstance(value, float) else str(value).strip()
    return format(Decimal(text).normalize(), "f")


def ratio_percent(value: object) -> str:
    """A ratio (0.999) as a percentage ("99.9"), exactly."""
    text = repr(value) if isinstance(value, float) else str(value).strip()
    return format((Decimal(text) * 100).normalize(), "f")


def pledge_name(*parts: str) -> str:
    """Peer names as a pledge (DNS-label) name: lower case, [a-z0-9-], at most 63 characters."""
    name = _NAME_UNSAFE.sub("-", "-".join(p for p in parts if p).lower()).strip("-")
    return name[:63].rstrip("-") or "imported"
