"""The API's revisions in Kubernetes mode (kopf on kmock): what the operator recorded as SLARevision
objects is what GET .../revisions answers; before it recorded anything, the current definition alone."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pledge.api.app import create_app
from pledge.api.auth import TokenEntry, TokenStore
from pledge.api.server import serving
from pledge.api.settings import Settings
from pledge.api.sources import KubernetesSource
from pledge.operator import OperatorConfig
from tests.support.cluster import SLAS, Cluster, eventually, example, ready, running

TOKEN = "sre-token"
EMPTY = {"status": "success", "data": {"resultType": "vector", "result": []}}


def no_data(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": {"alerts": []}}
                          if request.url.path.endswith("/alerts") else EMPTY)


@pytest.fixture
async def api(cluster: Cluster) -> AsyncIterator[str]:
    await cluster.create_sla(example("api-availability.yaml"), manager="kubectl-client-side-apply")
    store = TokenStore([TokenEntry.from_token("sre", TOKEN, ["read:all"])])
    app = create_app(KubernetesSource(), store, Settings(prometheus_url="http://prometheus"), httpx.MockTransport(no_data))
    async with serving(app) as url:
        yield url


async def get(url: str, path: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        response = await http.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_revisions_are_the_operators_objects(api: str, cluster: Cluster) -> None:
    before = await get(api, "/v1/slas/platform/api-availability/revisions")
    assert before["history_known"] is False and "recorded no revision" in before["note"]

    document = example("api-availability.yaml")
    async with running(OperatorConfig()):
        await eventually(lambda: ready(cluster, "platform", "api-availability"), what="revision 1")
        spec = copy.deepcopy(document["spec"])
        spec["objectives"][0]["target"] = "99.5"
        await cluster.update_spec("platform", "api-availability", spec, manager="helm",
                                  annotations={"pledge.dev/change-reason": "CS-42"})
        await eventually(lambda: cluster.get(SLAS, "platform", "api-availability")["status"].get("revision") == 2,
                         what="revision 2")

    # The API's watch may deliver the new spec a moment after the operator recorded it (a note says so).
    body = await get(api, "/v1/slas/platform/api-availability/revisions")
    deadline = asyncio.get_running_loop().time() + 10
    while body["notes"] and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        body = await get(api, "/v1/slas/platform/api-availability/revisions")
    assert (body["history_known"], body["current"], body["notes"]) == (True, 2, [])
    first, second = body["revisions"]
    assert (first["kind"], first["tool"], first["accepted_at"] is not None) == ("created", "kubectl-client-side-apply", True)
    assert (second["kind"], second["tool"], second["reason"]) == ("budget-critical", "helm", "CS-42")
    assert second["changes"] == ["objectives[availability].target"]
    assert second["changes_text"] == ["objectives[availability].target: 99.9 -> 99.5"]
    detail = await get(api, "/v1/slas/platform/api-availability/revisions/1")
    assert detail["spec"]["objectives"][0]["target"] == "99.9"
