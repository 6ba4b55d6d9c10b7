"""What the routers share, as the FastAPI template's deps.py: the ``at`` parameter, the moment a request
describes, the background snapshot it may be answered from, and the SLA it names (404 when hidden).
Routers import this module, never each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from typing import Annotated

from fastapi import HTTPException, Query, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel

from pledge.api.auth import Principal
from pledge.api.snapshot import VISIBLE_FOR, Snapshot, moment
from pledge.api.state import ApiState
from pledge.rules import names, queries
from pledge.sla import ServiceLevelAgreement
from pledge.sla.identity import SLARef
from pledge.sla.selector import Selector, parse_selector

EARLIEST, LATEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def _within(moment: dt.datetime) -> dt.datetime:
    """A moment periods can be computed around: a calendar quarter, a 92-day horizon after it and the
    period before it all stay within what a datetime holds (a 422 naming the parameter otherwise)."""
    if not EARLIEST <= moment < LATEST:
        raise ValueError("must be from 1970-01-01 to 9998-12-31 (UTC)")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_within)]
"""A query parameter's moment (RFC 3339 or unix seconds), bounded as ``_within`` says."""
At = Annotated[Moment | None, Query(description="the moment to describe (RFC 3339 or unix seconds); default now")]
Limit = Annotated[int, Query(ge=1, le=1_000, description="items per page")]
Offset = Annotated[int, Query(ge=0, description="items to skip")]
LabelSelector = Annotated[str | None, Query(
    alias="selector", description="SLAs whose metadata labels match, in kubectl's syntax: "
                                  "team=payments,tier!=bronze, env in (prod,staging), !legacy")]


def selector_of(text: str | None) -> Selector | None:
    """The ``selector`` parameter parsed (a 422 problem naming the wrong part)."""
    if text is None:
        return None
    try:
        return parse_selector(text)
    except ValueError as exc:
        raise HTTPException(422, f"selector: {exc}") from None


def moment_of(api: ApiState, at: dt.datetime | None) -> float:
    """``at``, or the API's clock; rounded down to the cache's lifetime when answers are cached, so
    requests in the same interval ask Prometheus identical questions."""
    return at.timestamp() if at is not None else moment(api.clock, api.settings.prometheus_cache_seconds)


def snapshot_for(api: ApiState, at: dt.datetime | None) -> Snapshot | None:
    """The background snapshot, when the request asks about now and one is fresh."""
    return api.snapshots.current() if at is None else None


def answer(api: ApiState, snapshot: Snapshot, key: Hashable, build: Callable[[], BaseModel]) -> Response:
    """The snapshot's answer for ``key`` (route, scope, parameters), rendered once per snapshot, with
    the snapshot's age in ``Age``: what the route computes at request time for the snapshot's moment."""
    return Response(snapshot.rendered.once(key, build), media_type="application/json",
                    headers={"Age": api.snapshots.age(snapshot)})


async def find_sla(api: ApiState, caller: Principal, namespace: str, name: str,
                   at: float, snapshot: Snapshot | None = None, *, written: bool = False) -> ServiceLevelAgreement:
    """The SLA with the terms in force in its current period (``written``: as written), or 404 also
    when the caller's scope does not cover it: absent, not forbidden.

    A customer token sees another SLA only when it is grouped by customer and recorded that
    customer's group. Whether it did is looked up (in the snapshot, or with one Prometheus index
    lookup) whether the SLA exists or not, so neither the answer nor its time tells an unknown SLA
    from a hidden one."""
    wanted = SLARef(namespace, name)
    sla = next((s for s in (api.source if written else api.in_force).slas() if s.ref == wanted), None)
    if sla is not None and caller.owns(sla):
        return sla
    if not caller.everything:
        if snapshot is not None:
            recorded = any((wanted, c) in snapshot.visible for c in caller.customers)
        else:
            matches = [f"{names.REQUESTS_TILE}{{{queries.sla_matchers(wanted, {'customer': c})}}}"
                       for c in sorted(caller.customers)]
            recorded = bool(await api.client.series(matches, at - VISIBLE_FOR, at))
        if sla is not None and recorded and "customer" in sla.spec.grouping:
            return sla
    raise HTTPException(404, f"no SLA {wanted}")
