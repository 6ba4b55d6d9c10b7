"""GET /v1/slas/{ns}/{name}/revisions and .../revisions/{n} over `pledge serve --sla-dir` of a real git
repository (temporary, commits at fixed instants) and a real, empty Prometheus: revisions with their
JSON patch and words, the full spec of one, problems as JSON, and customer tokens that see the
revisions of their own SLAs only (the same 404 as the SLA's detail route otherwise)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import jsonpatch  # kopf's dependency: an independent RFC 6902 implementation
import pytest

from pledge.api.app import create_app
from pledge.api.auth import TokenEntry, TokenStore
from pledge.api.server import serving
from pledge.api.settings import Settings
from pledge.api.sources import DirectorySource, SLASource, StaticSource
from pledge.clock import fixed
from pledge.sla.revisions import NO_HISTORY
from pledge.testing import LocalPrometheus
from tests.support.gitrepo import Repo, sla_yaml
from tests.support.world import client

pytestmark = pytest.mark.integration
AT = 1796601600.0  # 2026-12-07T00:00:00Z
TOKENS = {"sre-token": ["read:all"], "acme-token": ["customer:acme"], "globex-token": ["customer:globex"]}
ROUTE = "/v1/slas/shop/checkout/revisions"


@pytest.fixture(scope="module")
def prometheus() -> Iterator[str]:
    with LocalPrometheus() as prom:
        yield prom.url


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo = Repo(tmp_path_factory.mktemp("revisions") / "slas")
    repo.write("shop.yaml", sla_yaml())
    repo.write("acme.yaml", sla_yaml("acme-checkout", customer="acme"))
    repo.write("grouped.yaml", sla_yaml("grouped", grouping=["customer"]))
    repo.commit("shop SLAs", "2026-11-01T00:00:00Z")
    repo.write("shop.yaml", sla_yaml(target="99.95"))
    repo.write("acme.yaml", sla_yaml("acme-checkout", customer="acme", target="99.5"))
    repo.commit("amendment 7: raise checkout to 99.95", "2026-11-30T10:00:00Z", "Bob", "bob@example.com")
    repo.write("shop.yaml", sla_yaml(target="99.95", description="the shop's checkout"))
    repo.commit("describe checkout", "2026-12-02T09:00:00Z")
    return repo


async def serve(source: SLASource, prometheus: str) -> AsyncIterator[str]:
    entries = [TokenEntry.from_token(token, token, scopes) for token, scopes in TOKENS.items()]
    app = create_app(source, TokenStore(entries), Settings(prometheus_url=prometheus, snapshot_seconds=0), clock=fixed(AT))
    async with serving(app) as url:
        yield url


@pytest.fixture
async def api(repo: Repo, prometheus: str) -> AsyncIterator[str]:
    async for url in serve(DirectorySource(repo.path), prometheus):
        yield url


async def get(api: str, route: str, token: str = "sre-token", status: int = 200) -> Any:
    async with client(api, token) as http:
        response = await http.get(route)
    assert response.status_code == status, response.text
    expected = "application/json" if status == 200 else "application/problem+json"
    assert response.headers["content-type"] == expected
    return response.json()


async def test_the_list_has_each_revision_with_its_diff_and_no_spec(api: str, repo: Repo) -> None:
    body = await get(api, ROUTE)
    shas = repo.git("log", "--format=%H", "--reverse").split()
    assert (body["namespace"], body["name"], body["history_known"], body["note"], body["notes"], body["current"]) == (
        "shop", "checkout", True, None, [], 3)
    assert [{k: r[k] for k in ("number", "accepted_at", "author", "tool", "reason", "commit", "kind", "uncommitted")}
            for r in body["revisions"]] == [
        {"number": 1, "accepted_at": "2026-11-01T00:00:00Z", "author": "Alice <alice@example.com>", "tool": "git",
         "reason": "shop SLAs", "commit": shas[0], "kind": "created", "uncommitted": False},
        {"number": 2, "accepted_at": "2026-11-30T10:00:00Z", "author": "Bob <bob@example.com>", "tool": "git",
         "reason": "amendment 7: raise checkout to 99.95", "commit": shas[1], "kind": "budget-critical",
         "uncommitted": False},
        {"number": 3, "accepted_at": "2026-12-02T09:00:00Z", "author": "Alice <alice@example.com>", "tool": "git",
         "reason": "describe checkout", "commit": shas[2], "kind": "cosmetic", "uncommitted": False}]
    first, second, third = body["revisions"]
    assert (first["diff"], first["changes"], first["changes_text"]) == ([], [], [])
    assert second["diff"] == [{"op": "replace", "path": "/objectives/0/target", "value": "99.95"}]
    assert second["changes"] == ["objectives[availability].target"]
    assert second["changes_text"] == ["objectives[availability].target: 99.9 -> 99.95"]
    assert third["changes_text"] == ["description: added the shop's checkout"]
    assert all("spec" not in r and len(r["sha256"]) == 64 for r in body["revisions"])


async def test_one_revision_has_its_full_spec_and_the_diffs_rebuild_it(api: str) -> None:
    specs = [(await get(api, f"{ROUTE}/{n}"))["spec"] for n in (1, 2, 3)]
    assert [s["objectives"][0]["target"] for s in specs] == ["99.9", "99.95", "99.95"]
    assert specs[0]["window"] == {"calendar": "month"} and "description" not in specs[1]
    listed = (await get(api, ROUTE))["revisions"]
    assert jsonpatch.apply_patch(specs[0], listed[1]["diff"]) == specs[1]
    assert jsonpatch.apply_patch(specs[1], listed[2]["diff"]) == specs[2]
    detail = await get(api, f"{ROUTE}/2")
    assert {k: v for k, v in detail.items() if k != "spec"} == listed[1]


@pytest.mark.parametrize(("route", "status", "words"), [
    (f"{ROUTE}/4", 404, "shop/checkout has no revision 4 (revisions 1 to 3)"),
    (f"{ROUTE}/0", 422, "number"),
    (f"{ROUTE}/two", 422, "number"),
    ("/v1/slas/shop/nope/revisions", 404, "no SLA shop/nope"),
    ("/v1/slas/shop/nope/revisions/1", 404, "no SLA shop/nope"),
])
async def test_problems_are_json(api: str, route: str, status: int, words: str) -> None:
    body = await get(api, route, status=status)
    assert body["status"] == status and words in body["detail"] and body["instance"] == route


async def test_customer_tokens_see_the_revisions_of_their_own_slas_only(api: str) -> None:
    own = await get(api, "/v1/slas/shop/acme-checkout/revisions", "acme-token")
    assert [(r["number"], r["kind"]) for r in own["revisions"]] == [(1, "created"), (2, "budget-critical")]
    assert (await get(api, "/v1/slas/shop/acme-checkout/revisions/2", "acme-token"))["spec"]["objectives"][0]["target"] == "99.5"
    for token, name in (("globex-token", "acme-checkout"), ("acme-token", "checkout"), ("acme-token", "grouped"),
                        ("acme-token", "nope")):
        for route in (f"/v1/slas/shop/{name}/revisions", f"/v1/slas/shop/{name}/revisions/1"):
            hidden = await get(api, route, token, 404)
            detail = await get(api, f"/v1/slas/shop/{name}", token, 404)
            assert hidden["detail"] == detail["detail"] == f"no SLA shop/{name}", route
    async with client(api, None) as http:
        assert (await http.get(ROUTE)).status_code == 401


async def test_a_source_without_history_says_so(repo: Repo, prometheus: str) -> None:
    source = DirectorySource(repo.path)
    source.read()
    async for url in serve(StaticSource(source.slas()), prometheus):
        body = await get(url, ROUTE)
        assert (body["history_known"], body["current"]) == (False, 1)
        assert body["note"].startswith(NO_HISTORY)
        [only] = body["revisions"]
        assert (only["number"], only["kind"], only["accepted_at"], only["tool"]) == (1, "created", None, None)
        assert (await get(url, f"{ROUTE}/1"))["spec"]["objectives"][0]["target"] == "99.95"


async def test_november_is_judged_by_the_terms_it_started_with(api: str) -> None:
    """99.95 % was committed on 30 November under the calendar default (nextPeriod): November keeps 99.9 %,
    the report names revision 1 and the change that waits; December is judged by 99.95 %."""
    november = await get(api, "/v1/slas/shop/checkout/report?period=2026-11")
    assert [r["target"] for r in november["rows"]] == [0.999]
    terms = november["terms"]
    assert (terms["revision"], terms["time_weighted"], terms["what_if"], terms["history_known"]) == (1, False, False, True)
    assert [(s["revision"], s["start"], s["end"], s["targets"]) for s in terms["segments"]] == [
        (1, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", {"availability": "99.9"})]
    assert [(d["revision"], d["takes_effect"], d["changes"]) for d in terms["deferred"]] == [
        (2, "2026-12-01T00:00:00Z", ["objectives[availability].target"])]
    assert terms["words"] == ("Judged by revision 1 (accepted 01 Nov 2026 by Alice <alice@example.com>); "
                              "revision 2 takes effect on 01 Dec 2026.")
    december = await get(api, "/v1/slas/shop/checkout/report?period=2026-12")
    assert [r["target"] for r in december["rows"]] == [0.9995]
    assert december["terms"]["revision"] == 3 and december["terms"]["deferred"] == []
    assert december["terms"]["time_weighted"] is False  # a description edited on the 2nd changes no term


async def test_what_if_a_revision_had_judged_the_period(api: str) -> None:
    body = await get(api, "/v1/slas/shop/checkout/report?period=2026-11&revision=2")
    assert [r["target"] for r in body["rows"]] == [0.9995]
    assert body["terms"]["what_if"] is True and body["terms"]["words"].startswith("What if revision 2 (accepted 30 Nov")
    problem = await get(api, "/v1/slas/shop/checkout/report?period=2026-11&revision=9", status=404)
    assert problem["detail"] == "shop/checkout has no revision 9 (revisions 1 to 3)"


async def test_an_immediate_change_splits_the_period(tmp_path: Path, prometheus: str) -> None:
    repo = Repo(tmp_path / "slas")
    repo.write("shop.yaml", sla_yaml())
    repo.commit("shop SLAs", "2026-11-01T00:00:00Z")
    repo.write("shop.yaml", sla_yaml(target="99.95").replace("  window: {calendar: month}",
                                                             "  window: {calendar: month}\n  changePolicy: immediate"))
    repo.commit("raise now", "2026-11-16T00:00:00Z")
    async for url in serve(DirectorySource(repo.path), prometheus):
        body = await get(url, "/v1/slas/shop/checkout/report?period=2026-11")
    # 15 days at 99.9 % and 15 at 99.95 %: 99.925 %
    assert [r["target"] for r in body["rows"]] == [pytest.approx(0.99925)]
    assert [s["revision"] for s in body["terms"]["segments"]] == [1, 2] and body["terms"]["time_weighted"] is True


@pytest.mark.parametrize(("policy", "target"), [
    ("", 0.999),  # nextPeriod (the calendar default): December keeps the 99.9 % it started with
    ("  changePolicy: immediate\n", pytest.approx(0.999 + 0.0005 * 29 / 31)),  # 2 days at 99.9, 29 at 99.95
])
async def test_the_current_period_is_judged_by_its_terms_in_force(tmp_path: Path, prometheus: str, policy: str,
                                                                   target: Any) -> None:
    """Raised to 99.95 % on 3 December: the list, the detail and the month's report agree on December's
    target in force; the definition route still shows the SLA as written."""
    repo = Repo(tmp_path / "slas")
    repo.write("shop.yaml", sla_yaml())
    repo.commit("shop SLAs", "2026-11-01T00:00:00Z")
    repo.write("shop.yaml", sla_yaml(target="99.95").replace("  window: {calendar: month}\n",
                                                             "  window: {calendar: month}\n" + policy))
    repo.commit("raise checkout", "2026-12-03T00:00:00Z", "Bob", "bob@example.com")
    async for url in serve(DirectorySource(repo.path), prometheus):
        [listed] = (await get(url, "/v1/slas"))["items"]
        detail = await get(url, "/v1/slas/shop/checkout")
        report = await get(url, "/v1/slas/shop/checkout/report?period=2026-12")
        written = await get(url, "/v1/slas/shop/checkout/definition")
    assert [o["target"] for o in listed["objectives"]] == [target]
    assert [o["target"] for o in detail["objectives"]] == [target]
    assert [r["target"] for r in report["rows"]] == [target]
    assert "target: '99.95'" in written["yaml"]
