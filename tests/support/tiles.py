"""A simulation of the tiles group: tiles recorded every 5 m at ``offset`` seconds into each 5 minutes, each
holding the tile that started 5 m before it; hour tiles and sums evaluated from the generated AST, their
time conditions by the evaluator of tests.support.promql. A window's value is the Counter of the start
times of the tiles it sums, so a tile counted twice or missed shows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from functools import cache
from typing import Any

import promql_parser

from pledge.rules.model import Rule
from tests.support.generated import TILES
from tests.support.promql import ast_of, compile_promql, metric_of, offset_of, reads_series, selector_labels, strip

Tiles = Any  # Counter of tile start times, or None for an empty vector


class TileSimulator:
    def __init__(self, rules: list[Rule], offset: int, left_open: bool) -> None:
        self.compile = cache(compile_promql)
        self.rules = {(r.record, r.labels.get("pledge_period", "")): r for r in rules if r.record}
        self.offset, self.left_open = offset, left_open
        self.memo: dict[tuple[str, str, int], Any] = {}

    def samples(self, selector: Any, low: int, high: int) -> Iterator[tuple[int, Any]]:
        first = low + (self.offset - low) % 300
        for t in range(first, high + 1, 300):
            if t == low and self.left_open:
                continue
            if metric_of(selector) in TILES:
                yield t, {"": Counter({t - 300: 1})}
            else:
                value = self.hour_tile(metric_of(selector), selector_labels(selector).get("pledge_period", ""), t)
                if value is not None:
                    yield t, value

    def hour_tile(self, name: str, period: str, t: int) -> Any:
        key = (name, period, t)
        if key not in self.memo:
            self.memo[key] = self.value(ast_of(self.rules[(name, period)].expr), t)
        return self.memo[key]

    def value(self, node: Any, t: int) -> Any:
        """{pledge_part: Counter} or None."""
        node = strip(node)
        if isinstance(node, promql_parser.Call) and node.func.name == "sum_over_time":
            (matrix,) = node.args
            end = t - int(offset_of(matrix).total_seconds())
            total: Counter[int] = Counter()
            found = False
            for _, v in self.samples(matrix.vector_selector, end - int(matrix.range.total_seconds()), end):
                total.update(v[""])
                found = True
            return {"": total} if found else None
        if isinstance(node, promql_parser.Call) and node.func.name == "label_replace":
            inner = self.value(node.args[0], t)
            return None if inner is None else {node.args[2].val: inner[""]}
        if isinstance(node, promql_parser.AggregateExpr):
            inner = self.value(node.expr, t)
            if inner is None:
                return None
            summed: Counter[int] = Counter()
            for part in inner.values():
                summed.update(part)
            return {"": summed}
        assert isinstance(node, promql_parser.BinaryExpr), node.prettify()[:200]
        if str(node.op) == "and":
            assert not reads_series(node.rhs)
            return self.value(node.lhs, t) if self.compile(strip(node.rhs).prettify())(t) is not None else None
        assert str(node.op) == "or" and not (node.modifier and node.modifier.matching), node.prettify()[:200]
        lhs, rhs = self.value(node.lhs, t), self.value(node.rhs, t)
        if lhs is None or rhs is None:
            return lhs if rhs is None else rhs
        return {**rhs, **lhs}  # `or` keeps the left side's series where label sets collide


def evaluations(start: int, count: int, offset: int) -> list[int]:
    first = start + (offset - start) % 300
    return [first + 300 * k for k in range(count)]


def check_window(sim: TileSimulator, rule: Rule, t: int, oldest: int) -> None:
    got = sim.value(ast_of(rule.expr), t)
    counted = Counter() if got is None else got[""]
    expected = Counter({s: 1 for s in range(t - 300, oldest - 1, -300)})
    missing, extra = expected - counted, counted - expected
    assert not missing and not extra, (rule.name, dt.datetime.fromtimestamp(t, dt.timezone.utc), len(missing), len(extra),
                                       sorted(missing)[:3], sorted(extra)[:3])
