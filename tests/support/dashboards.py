"""The queries the dashboards send, as Grafana would send them: shared by the unit and data tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pledge.api.sources import packaged_examples, read_directory
from pledge.dashboards import dashboards

VARIABLE = re.compile(r"\$(\w+)")
LABEL_VALUES = re.compile(r"^label_values\((.+), (\w+)\)$")
SLAS = read_directory(packaged_examples())
BOARDS = dashboards(SLAS)


@dataclass(frozen=True)
class Query:
    """One query a dashboard sends: a panel target, a variable's values or an annotation."""

    board: str
    where: str
    expr: str
    instant: bool = False

    @property
    def id(self) -> str:
        return f"{self.board.removesuffix('.json')}:{self.where}"


def queries(name: str, board: dict[str, Any]) -> Iterator[Query]:
    for panel in board["panels"]:
        for target in panel.get("targets") or []:
            yield Query(name, f"{panel['title']}/{target['refId']}#{panel['id']}", target["expr"], target["instant"])
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            yield Query(name, f"variable {variable['name']}", variable["query"], instant=True)
    for annotation in board.get("annotations", {}).get("list", []):
        yield Query(name, f"annotation {annotation['name']}", annotation["expr"])


ALL_QUERIES = [q for name, board in BOARDS.items() for q in queries(name, board)]
PANELS = [q for q in ALL_QUERIES if not q.where.startswith("annotation")]  # annotations: their own tests


def promql(expr: str, values: dict[str, str] | None = None) -> str:
    """What Grafana sends: variables replaced ("All" is .*), label_values as the series it lists."""
    text = VARIABLE.sub(lambda m: (values or {}).get(m.group(1), ".*"), expr)
    if found := LABEL_VALUES.match(text):
        return f"count by ({found.group(2)}) ({found.group(1)})"
    return text


