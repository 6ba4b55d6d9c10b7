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
from collections.abc import Callable
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
