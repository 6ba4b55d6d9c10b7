"""Every error as RFC 9457 problem+json: the cause in words, never a stack trace."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from pledge.prom import PrometheusBadResponse, PrometheusBadValue, PrometheusQueryError, PrometheusUnavailable

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
OVERLOAD_ERRORS = frozenset({"timeout", "canceled", "unavailable"})


class InvalidParameter(BaseModel):
    name: str
    location: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    invalid_params: list[InvalidParameter] | None = None


def problem(request: Request, status: int, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, instance=request.url.path, **extra)
    return JSONResponse(body.model_dump(exclude_none=True), status, headers=headers, media_type=MEDIA_TYPE)


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    params = [InvalidParameter(name=".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                               location=str(e["loc"][0]), reason=str(e["msg"])) for e in exc.errors()]
    detail = "; ".join(f"{p.name}: {p.reason}" for p in params)
    return problem(request, 422, detail, invalid_params=params)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))


def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    retry = {"Retry-After": str(request.app.state.api.settings.retry_after)}
    if isinstance(exc, PrometheusQueryError) and exc.error_type not in OVERLOAD_ERRORS:
        return problem(request, 502, f"Prometheus rejected a query: {exc}")
    return problem(request, 503, f"Prometheus is unavailable: {exc}", retry)


def _bad_gateway(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, PrometheusBadValue):  # well formed, but no figure may be computed from it
        return problem(request, 502, f"Prometheus answered a value pledge cannot use: {exc}")
    return problem(request, 502, f"Prometheus answered something that is not its API: {exc}")


def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem(request, 500, "internal error; the server log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(PrometheusUnavailable, _unavailable)
    app.add_exception_handler(PrometheusQueryError, _unavailable)
    app.add_exception_handler(PrometheusBadResponse, _bad_gateway)
    app.add_exception_handler(Exception, _internal)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": HTTPStatus(status).phrase}
    for status in (401, 403, 422, 502, 503)
}
