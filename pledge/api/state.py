"""What the routes share: the SLA source, one Prometheus client, tokens, settings, metrics, the
breach predictions cache and the figures' snapshots."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from pledge.api.auth import TokenStore
from pledge.api.forecasts import PredictionCache
from pledge.api.metrics import ApiMetrics
from pledge.api.settings import Settings
from pledge.api.snapshot import Snapshots
from pledge.api.sources import SLASource
from pledge.clock import Clock
from pledge.prom import PrometheusClient


@dataclass
class ApiState:
    source: SLASource  # the SLAs as written (their histories are read from it)
    tokens: TokenStore
    settings: Settings
    metrics: ApiMetrics
    client: PrometheusClient
    predictions: PredictionCache
    snapshots: Snapshots
    clock: Clock  # "now" of every answer without at=
    in_force: SLASource  # the SLAs with the terms in force in their current period (pledge.api.in_force)


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state
