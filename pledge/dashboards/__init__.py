"""Grafana dashboards over pledge's recorded series (pure: JSON-ready dicts, no I/O).

Built with grafana-foundation-sdk, Grafana's own typed builders for its dashboard schema; the panel
PromQL comes from pledge.dashboards.queries, which builds it from pledge.rules' names and builders.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from pledge.dashboards.detail import detail, uid
from pledge.dashboards.overview import UID as OVERVIEW_UID
from pledge.dashboards.overview import overview
from pledge.sla.model import ServiceLevelAgreement


def as_json(board: Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana's import and provisioning read it: panel ids numbered (the builders
    leave them 0, and Grafana needs them unique) and unset options an empty object."""
    found: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    for number, panel in enumerate(found["panels"], 1):
        panel["id"] = number
        if panel.get("options", {}) is None:
            panel["options"] = {}
    return found


def dashboards(slas: list[ServiceLevelAgreement]) -> dict[str, dict[str, Any]]:
    """File name -> dashboard: the overview, and one detail dashboard per SLA."""
    boards = {f"{OVERVIEW_UID}.json": as_json(overview())}
    boards.update({f"{uid(sla)}.json": as_json(detail(sla)) for sla in slas})
    return boards


def render(board: dict[str, Any]) -> str:
    return json.dumps(board, indent=2, sort_keys=True) + "\n"


__all__ = ["as_json", "dashboards", "detail", "overview", "render", "uid"]
