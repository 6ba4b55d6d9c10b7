"""GET /v1/slas/{ns}/{name}/definition: the SLA's YAML, its burn-rate alert tiers and the PromQL behind
each figure, built by the same functions the other routes query with (the console shows them)."""

from __future__ import annotations

import yaml
from fastapi import APIRouter, Request
from pydantic import Field

from pledge.api.auth import Caller
from pledge.api.figures import recorded_windows
from pledge.api.models import Out
from pledge.api.problems import PROBLEM_RESPONSES
from pledge.api.deps import find_sla
from pledge.api.state import api_state
from pledge.rules import queries
from pledge.slo.windows import BURN_WINDOWS, alert_windows
from pledge.sla import format_duration

router = APIRouter(prefix="/v1", responses={**PROBLEM_RESPONSES, 404: {**PROBLEM_RESPONSES[422], "description": "Not Found"}})


class TierOut(Out):
    name: str = Field(examples=["page-fast"])
    severity: str = Field(examples=["page"])
    long_window: str = Field(examples=["1h"])
    short_window: str = Field(examples=["5m"])
    burn_rate: float = Field(description="the alert fires when both windows burn faster than this", examples=[14.4])
    long_query: str = Field(description="PromQL of the long window's error ratio")
    short_query: str = Field(description="PromQL of the short window's error ratio")


class Definition(Out):
    namespace: str
    name: str
    yaml: str | None = Field(description="the SLA as written; null for customer tokens")
    tiers: list[TierOut] = Field(description="the burn-rate alerts, fastest first")
    queries: dict[str, str] = Field(description="figure in words -> PromQL, for display; burn rate = error ratio / (1 - target)")
    named_queries: dict[str, str] = Field(
        description="the same PromQL by stable name, for programs: period_error_ratio (SLI = 1 - it), "
                    "error_ratio_<window> for each burn window (5m 30m 1h 6h 1d 3d), firing_alerts",
        examples=[{"period_error_ratio": "pledge:sli_error_ratio:period{...}", "error_ratio_5m": "...",
                   "firing_alerts": "..."}])
    exclusions: list[dict[str, str]] = Field(description="planned maintenance as written, with its reasons")
    credits: list[dict[str, str]] = Field(description="service credit tiers: percent owed below an SLI")
    credit_cap: str | None = Field(description="the most credit owed, percent")


@router.get("/slas/{namespace}/{name}/definition", response_model=Definition,
            summary="The SLA's YAML, alert tiers and the PromQL behind each figure")
async def get_definition(request: Request, caller: Caller, namespace: str, name: str) -> Definition:
    api = api_state(request)
    sla = await find_sla(api, caller, namespace, name, api.clock(), written=True)
    selector = queries.sla_matchers(sla.ref, caller.matchers(sla))
    recorded, grouping = recorded_windows(sla), sla.spec.grouping

    def ratio(window: int) -> str:
        return queries.window_ratio(selector, window, grouping, window in recorded)

    tiers = [TierOut(name=t.name, severity=t.severity, long_window=format_duration(t.long),
                     short_window=format_duration(t.short), burn_rate=float(t.burn_rate),
                     long_query=ratio(t.long), short_query=ratio(t.short))
             for t in alert_windows(sla.spec.alerting, sla.spec.window)]
    named = {"period_error_ratio": queries.period_ratio(selector),
             **{f"error_ratio_{format_duration(w)}": ratio(w) for w in BURN_WINDOWS},
             "firing_alerts": queries.firing_alerts(selector)}
    figures = {"period error ratio (SLI = 1 - it)": named["period_error_ratio"],
               **{f"error ratio {format_duration(w)}": named[f"error_ratio_{format_duration(w)}"] for w in BURN_WINDOWS},
               "firing alerts": named["firing_alerts"]}
    document = {"apiVersion": sla.api_version, "kind": sla.kind,
                **sla.model_dump(by_alias=True, mode="json", exclude_defaults=True, exclude={"api_version", "kind", "status"})}
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120) if caller.everything else None
    spec = sla.spec.model_dump(by_alias=True, mode="json", exclude_none=True, include={"exclusions", "credits", "credit_cap"})
    return Definition(namespace=namespace, name=name, yaml=text, tiers=tiers, queries=figures, named_queries=named,
                      exclusions=[{k: str(v) for k, v in e.items()} for e in spec.get("exclusions", [])],
                      credits=[{k: str(v) for k, v in c.items()} for c in spec.get("credits", [])],
                      credit_cap=spec.get("creditCap"))
