"""PromQL for tests: a tiny evaluator for label-free time arithmetic, and helpers over promql_parser's AST.

The time formulas pledge generates (local time, recurring maintenance, calendar period index) are plain
arithmetic on ``time()``; ``compile_promql`` runs them in Python with Prometheus semantics (Go's
``math.Mod`` keeps the dividend's sign; a comparison without ``bool`` filters), so they can be checked
against zoneinfo and against their Python twins in pledge.slo.exclusions (tests/unit/test_promql.py),
and the tile simulator (tests.support.tiles) can evaluate the time conditions of generated rules.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, Optional

import promql_parser

UTC = dt.timezone.utc


# --- a tiny evaluator for label-free time arithmetic ------------------------------------------------
#
# The AST is translated once into a Python lambda over ``t`` (the evaluation time); None is the empty
# vector. Only what the time formulas use is supported; anything else raises NotImplementedError.

Value = Optional[float]
Compiled = Callable[[float], Value]


def _fmod(a: float, b: float) -> float:
    return math.fmod(a, b) if b else math.nan  # Go's math.Mod: the result has the dividend's sign


def _year(v: float) -> float:
    return float(dt.datetime.fromtimestamp(v, UTC).year)


def _month(v: float) -> float:
    return float(dt.datetime.fromtimestamp(v, UTC).month)


def _or(a: Value, b: Value) -> Value:
    return a if a is not None else b


def _and(a: Value, b: Value) -> Value:
    return a if a is not None and b is not None else None


def _unless(a: Value, b: Value) -> Value:
    return a if b is None else None


_HELPERS = {"_fmod": _fmod, "_year": _year, "_month": _month, "_or": _or, "_and": _and, "_unless": _unless,
            "_floor": math.floor}
_COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}


def _arith(op: str, a: Value, b: Value) -> Value:
    if a is None or b is None:
        return None
    return _fmod(a, b) if op == "%" else float(eval(f"a {op} b", {}, {"a": a, "b": b}))  # noqa: S307


_HELPERS["_arith"] = _arith


class _Translator:
    """node -> (Python expression, is it a vector?, may it be the empty vector?)"""

    def __init__(self) -> None:
        self.names = 0

    def fresh(self) -> str:
        self.names += 1
        return f"_v{self.names}"

    def code(self, node: Any) -> tuple[str, bool, bool]:
        kind = type(node).__name__
        if kind == "ParenExpr":
            return self.code(node.expr)
        if kind == "NumberLiteral":
            return repr(float(node.val)), False, False
        if kind == "UnaryExpr":
            inner, vector, maybe = self.code(node.expr)
            return (f"_arith('*', -1.0, {inner})" if maybe else f"(-{inner})"), vector, maybe
        if kind == "Call":
            name, args = node.func.name, [self.code(a) for a in node.args]
            if any(maybe for *_, maybe in args):
                raise NotImplementedError(f"{name}() of a possibly empty vector")
            if name == "time":
                return "t", False, False
            if name == "vector":
                return args[0][0], True, False
            if name in ("floor", "year", "month"):
                return f"_{name}({args[0][0]})", True, False
            raise NotImplementedError(name)
        if kind == "BinaryExpr":
            op = str(node.op)
            (lhs, left_vector, left_maybe), (rhs, right_vector, right_maybe) = self.code(node.lhs), self.code(node.rhs)
            vector, maybe = left_vector or right_vector, left_maybe or right_maybe
            if op in ("or", "and", "unless"):
                return f"_{op}({lhs}, {rhs})", True, True
            if op in ("+", "-", "*", "/", "%"):
                if maybe:
                    return f"_arith({op!r}, {lhs}, {rhs})", vector, True
                return (f"_fmod({lhs}, {rhs})" if op == "%" else f"({lhs} {op} {rhs})"), vector, False
            if op not in _COMPARISONS:
                raise NotImplementedError(op)
            if node.modifier is not None and node.modifier.return_bool:
                if maybe:
                    raise NotImplementedError("bool comparison of a possibly empty vector")
                return f"(1.0 if {lhs} {op} {rhs} else 0.0)", vector, False
            assert vector, "a comparison between scalars needs bool"
            a, b = self.fresh(), self.fresh()
            kept = a if left_vector else b
            return (f"({kept} if (({a} := {lhs}) is not None and ({b} := {rhs}) is not None and {a} {op} {b}) "
                    "else None)"), True, True
        raise NotImplementedError(f"{kind}: not label-free time arithmetic")


def compile_promql(text: str) -> Compiled:
    code, *_ = _Translator().code(promql_parser.parse(text))
    function: Compiled = eval(f"lambda t: {code}", dict(_HELPERS))  # noqa: S307 - our own generated code
    return function


# --- the AST of generated rules ---------------------------------------------------------------------


@cache
def ast_of(expr: str) -> Any:
    return promql_parser.parse(expr)


def children(node: Any) -> list[Any]:
    kind = type(node).__name__
    if kind in ("ParenExpr", "UnaryExpr", "SubqueryExpr"):
        return [node.expr]
    if kind == "AggregateExpr":
        return [node.expr] + ([node.param] if isinstance(node.param, promql_parser.Expr) else [])
    if kind == "BinaryExpr":
        return [node.lhs, node.rhs]
    if kind == "Call":
        return list(node.args)
    if kind == "MatrixSelector":
        return [node.vector_selector]
    return []


def nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in children(node):
        yield from nodes(child)


def metric_of(selector: Any) -> str:
    if selector.name:
        return str(selector.name)
    return next((m.value for m in selector.matchers.matchers if m.name == "__name__"), "")


def raw_reach(node: Any, reach: dt.timedelta = dt.timedelta()) -> Iterator[tuple[str, dt.timedelta]]:
    """(metric, how far back it is read) for every selector: ranges of enclosing subqueries add up."""
    kind = type(node).__name__
    if kind == "MatrixSelector":
        yield metric_of(node.vector_selector), reach + node.range + (node.vector_selector.offset or dt.timedelta())
        return
    if kind == "VectorSelector":
        yield metric_of(node), reach + (node.offset or dt.timedelta())
        return
    if kind == "SubqueryExpr":
        reach = reach + node.range
    for child in children(node):
        yield from raw_reach(child, reach)


def strip(node: Any) -> Any:
    while type(node).__name__ == "ParenExpr":
        node = node.expr
    return node


def recorded_names(node: Any) -> set[str]:
    return {metric_of(n) for n in nodes(node) if isinstance(n, promql_parser.VectorSelector)
            and metric_of(n).startswith("pledge:")}


def reads_pledge_series(node: Any) -> bool:
    return bool(recorded_names(node))


def reads_raw_series(node: Any) -> bool:
    return any(isinstance(n, promql_parser.VectorSelector) and not metric_of(n).startswith("pledge:") for n in nodes(node))


def reads_series(node: Any) -> bool:
    return any(isinstance(n, promql_parser.VectorSelector) for n in nodes(node))


def is_label_replace(node: Any, label: str = "pledge_part") -> bool:
    node = strip(node)
    return (isinstance(node, promql_parser.Call) and node.func.name == "label_replace"
            and node.args[1].val == label and [a.val for a in node.args[3:]] == ["", ""])


def or_chain(node: Any) -> list[Any]:
    node = strip(node)
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op) == "or" and not (node.modifier and node.modifier.matching):
        return or_chain(node.lhs) + or_chain(node.rhs)
    return [node]


def part_sums(node: Any) -> list[Any]:
    """Every `sum by (...) (label_replace(...) or label_replace(...) ...)`: parts told apart by pledge_part."""
    return [n for n in nodes(node) if isinstance(n, promql_parser.AggregateExpr)
            and all(is_label_replace(part) for part in or_chain(n.expr))]


def matrices(node: Any) -> list[Any]:
    return [n for n in nodes(node) if isinstance(n, promql_parser.MatrixSelector)]


def offset_of(matrix: Any) -> dt.timedelta:
    return matrix.vector_selector.offset or dt.timedelta()


def selector_labels(selector: Any) -> dict[str, str]:
    return {m.name: m.value for m in selector.matchers.matchers if m.name != "__name__"}
