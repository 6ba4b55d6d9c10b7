"""schemathesis fuzzes every route of the OpenAPI document against the running app: no 500s,
and answers match the documented schemas."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Err, Result

from pledge.api.server import running_api
from tests.support import world
from tests.support.world import World, entries

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api_in_thread(loaded: World) -> Iterator[str]:
    """The API in its own thread and event loop: schemathesis calls it synchronously."""
    started, stop = threading.Event(), threading.Event()
    found: list[str] = []

    async def serve() -> None:
        async with running_api(world.SLAS.values(), loaded.prom.url, entries()) as url:
            found.append(url)
            started.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(30), "the API did not start"
    yield found[0]
    stop.set()
    thread.join(30)


def test_no_server_errors(api_in_thread: str) -> None:
    """Every operation, with valid and invalid inputs, as three callers: read:all, a customer, nobody."""
    schema = schemathesis.openapi.from_url(f"{api_in_thread}/openapi.json")
    operations = [_operation(result) for result in schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:
        fuzz(operation.as_strategy())


def _operation(result: Result[schemathesis.APIOperation[Any, Any, Any, Any], InvalidSchema],
               ) -> schemathesis.APIOperation[Any, Any, Any, Any]:
    """The operation, or the schema error that kept schemathesis from building it."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def fuzz(strategy: st.SearchStrategy[schemathesis.Case[Any]]) -> None:
    @given(case=strategy)
    @settings(max_examples=30, database=None, suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case[Any]) -> None:
        for token in ("sre-token", "acme-token", "nonsense"):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                   checks=[not_a_server_error, response_schema_conformance])

    run()
