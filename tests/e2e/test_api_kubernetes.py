"""The API's Kubernetes inputs on kmock: SLAs listed and watched like the operator's, and tokens from a
Secret that reload when it changes. Prometheus is replaced at the httpx seam (answers: no data)."""

from __future__ import annotations

import asyncio
import base64
import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import kmock
import pytest
import yaml

from pledge.api.app import create_app
from pledge.api.auth import TokenEntry, TokenStore
from pledge.api.server import serving
from pledge.api.settings import Settings
from pledge.api.sources import KubernetesSource, SecretTokens
from tests.support.cluster import SLAS, VERBS, Cluster, example, path_of

SECRETS = "v1/secrets"
EMPTY = {"status": "success", "data": {"resultType": "vector", "result": []}}


def no_data(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": {"alerts": []}}
                          if request.url.path.endswith("/alerts") else EMPTY)


def secret(*tokens: tuple[str, str]) -> dict[str, Any]:
    entries = [TokenEntry.from_token(name, token, ["read:all"]).model_dump() for name, token in tokens]
    data = base64.b64encode(yaml.safe_dump({"tokens": entries}).encode()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-tokens", "namespace": "pledge"},
            "data": {"tokens.yaml": data}}


@pytest.fixture
async def api(cluster: Cluster) -> AsyncIterator[str]:
    cluster.emulator.resources[SECRETS] = kmock.ResourceInfo(kind="Secret", namespaced=True, verbs=VERBS)
    await cluster.send("POST", path_of(SECRETS, "pledge"), secret(("sre", "first-token")))
    await cluster.create_sla(example("api-availability.yaml"))
    store = TokenStore([])
    app = create_app(KubernetesSource(), store, Settings(prometheus_url="http://prometheus"),
                     httpx.MockTransport(no_data), token_source=SecretTokens(store, "pledge/api-tokens"))
    async with serving(app) as url:
        yield url


async def listed(url: str, token: str = "first-token") -> dict[str, Any] | int:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        response = await http.get("/v1/slas")
    return dict(response.json()) if response.status_code == 200 else response.status_code


async def names(url: str) -> set[str]:
    body = await listed(url)
    assert isinstance(body, dict), body
    return {f"{i['namespace']}/{i['name']}" for i in body["items"]}


async def until(call: Callable[[], Awaitable[Any]], check: Callable[[Any], bool], timeout: float = 10.0) -> None:
    """Ask again every 0.1 s until ``check`` accepts the answer; fail with the last answer."""
    answer = None
    for _ in range(int(timeout / 0.1)):
        answer = await call()
        if check(answer):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"still {answer!r} after {timeout} s")


async def owners(url: str) -> set[str]:
    body = await listed(url)
    assert isinstance(body, dict), body
    return {i["owner"] for i in body["items"]}


async def test_slas_follow_create_update_and_delete(api: str, cluster: Cluster) -> None:
    both = {"platform/api-availability", "platform/search-latency"}
    assert await names(api) == {"platform/api-availability"}
    second = example("search-latency.yaml")
    await cluster.create_sla(second)
    await until(lambda: names(api), lambda found: found == both)

    spec = copy.deepcopy(second["spec"])
    spec["owner"] = "team-renamed"
    await cluster.update_spec("platform", "search-latency", spec)
    await until(lambda: owners(api), lambda found: "team-renamed" in found)

    await cluster.delete(SLAS, "platform", "search-latency")
    await until(lambda: names(api), lambda found: found == {"platform/api-availability"})


async def test_invalid_objects_are_skipped(api: str, cluster: Cluster) -> None:
    broken = example("search-latency.yaml")
    broken["metadata"]["name"] = "broken"
    broken["spec"]["objectives"] = []  # the CRD would refuse it; kmock stores it anyway
    await cluster.send("POST", path_of(SLAS, "platform"), broken)
    await cluster.create_sla(example("search-latency.yaml"))
    await until(lambda: names(api), lambda found: found == {"platform/api-availability", "platform/search-latency"})


async def test_a_token_added_to_the_secret_starts_working(api: str, cluster: Cluster) -> None:
    assert await listed(api, "second-token") == 401
    both = secret(("sre", "first-token"), ("new", "second-token"))
    await cluster.send("PATCH", path_of(SECRETS, "pledge", "api-tokens"), {"data": both["data"]})
    await until(lambda: listed(api, "second-token"), lambda answer: isinstance(answer, dict))
    await cluster.send("PATCH", path_of(SECRETS, "pledge", "api-tokens"), {"data": secret(("new", "second-token"))["data"]})
    await until(lambda: listed(api, "first-token"), lambda answer: answer == 401)


async def test_a_malformed_tokens_secret_keeps_the_last_good_tokens(api: str, cluster: Cluster) -> None:
    broken = base64.b64encode(b"tokens: [unclosed").decode()
    await cluster.send("PATCH", path_of(SECRETS, "pledge", "api-tokens"), {"data": {"tokens.yaml": broken}})
    await asyncio.sleep(1.0)  # the watch has delivered the bad version by now
    assert isinstance(await listed(api, "first-token"), dict), "a bad Secret must not drop the good tokens"
    both = secret(("sre", "first-token"), ("new", "second-token"))
    await cluster.send("PATCH", path_of(SECRETS, "pledge", "api-tokens"), {"data": both["data"]})
    await until(lambda: listed(api, "second-token"), lambda answer: isinstance(answer, dict), timeout=20.0)
