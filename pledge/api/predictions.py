"""GET /v1/predictions: which SLAs and customers are likely to breach, when, in plain words.

The default horizon is served from the background cache (pledge.api.forecasts); another horizon is
forecast on demand for the SLAs the caller may see.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from pledge.clock import utc
from pledge.api.auth import Caller, Principal
from pledge.api.models import PredictionOut, Predictions
from pledge.api.problems import PROBLEM_RESPONSES
from pledge.api.deps import At
from pledge.api.state import api_state
from pledge.predictions import Prediction, predict
from pledge.sla import parse_duration
from pledge.sla.percent import percent_to_ratio
from pledge.sla.units import LONGEST_PERIOD

router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)
MIN_HORIZON, MAX_HORIZON = 300, LONGEST_PERIOD  # one 5-minute step; a calendar quarter


def horizon_seconds(text: str) -> int:
    """422 naming the parameter for anything but a duration from 5m to 92d."""
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise HTTPException(422, f"horizon: {exc}") from None
    if not MIN_HORIZON <= seconds <= MAX_HORIZON:
        raise HTTPException(422, f'horizon: must be between 5m and 92d, got "{text}"')
    return seconds


def visible(p: Prediction, caller: Principal, customer: str | None, min_probability: float) -> bool:
    if not (caller.sees_sla(p.sla) and caller.sees_group(p.sla, p.group)) or p.probability < min_probability:
        return False
    return customer is None or customer in (p.sla.spec.customer, p.group.get("customer"))


def prediction_out(p: Prediction) -> PredictionOut:
    f, sla = p.forecast, p.sla
    return PredictionOut(
        namespace=sla.metadata.namespace, name=sla.metadata.name, service=sla.spec.service,
        customer=p.group.get("customer", sla.spec.customer), objective=p.objective, group=p.group,
        target=float(percent_to_ratio(p.terms.target)), state=p.state, sli=f.current.sli,
        projected_sli=f.projected_sli, probability=f.probability, breach_at=utc(f.breach_at),
        breach_earliest=utc(f.breach_earliest), breach_latest=utc(f.breach_latest),
        exhaustion_at=utc(f.exhaustion_at), horizon_seconds=f.horizon, at=utc(f.at),
        message=p.message)


@router.get("/predictions", response_model=Predictions, summary="SLAs and customers at risk of a breach, most likely first")
async def list_predictions(
    request: Request, caller: Caller,
    horizon: Annotated[str | None, Query(description="e.g. 24h; default: to the end of the calendar period, "
                                                     "or 7d for rolling windows (served from the cache)")] = None,
    customer: str | None = None,
    min_probability: Annotated[float, Query(ge=0, le=1, description="leave out less likely breaches")] = 0.0,
    at: At = None,
) -> Predictions:
    """Each with the breach probability within the horizon, the expected breach time and its interval,
    the SLI now and projected, and a message customer success can adapt."""
    api = api_state(request)
    if horizon is None and at is None:
        found, computed_at = await api.predictions.current()
    else:
        seconds = horizon_seconds(horizon) if horizon is not None else None
        slas = [s for s in api.in_force.slas() if caller.sees_sla(s)]
        computed_at = at.timestamp() if at is not None else api.clock()
        found = await predict(api.client, slas, computed_at, horizon=seconds)
    items = [prediction_out(p) for p in found if visible(p, caller, customer, min_probability)]
    return Predictions(computed_at=utc(computed_at), items=items)
