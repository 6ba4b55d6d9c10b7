"""The detail page's History section, in a real Chromium, over `pledge serve --sla-dir` of a real git
repository (temporary, commits at fixed instants, one change left uncommitted) and a real, empty
Prometheus: each revision's number, time, author, kind, reason and change lines as the API's
GET .../revisions answers them, newest first; the API's no-history note in words for a folder that is
not in git; a failure said in the section while the rest of the page stays; no serious axe violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi import FastAPI

from pledge.api.app import create_app
from pledge.api.auth import TokenStore
from pledge.api.settings import Settings
from pledge.api.sources import DirectorySource
from pledge.clock import fixed
from pledge.testing import LocalPrometheus
from tests.support.browser import Tab
from tests.support.gitrepo import Repo, sla_yaml
from tests.support.served import app_thread
from tests.support.world import entries

pytestmark = pytest.mark.integration
AT = 1796601600.0  # 2026-12-07T00:00:00Z, after every commit
CHECKOUT, PAYMENTS = "#/sla/shop/checkout", "#/sla/shop/payments"
SERIOUS = ("serious", "critical")


def git_repo(path: Path) -> Repo:
    """checkout: created, its target raised (budget-critical), its SLI query changed; payments: created,
    then its description edited in the work tree and not committed."""
    repo = Repo(path)
    repo.write("shop.yaml", sla_yaml())
    repo.write("payments.yaml", sla_yaml("payments"))
    repo.commit("shop SLAs", "2026-11-01T00:00:00Z")
    repo.write("shop.yaml", sla_yaml(target="99.95"))
    repo.commit("amendment 7: raise checkout to 99.95", "2026-11-30T10:00:00Z", "Bob", "bob@example.com")
    repo.write("shop.yaml", sla_yaml(target="99.95", errors='http_requests_total{service="checkout",code=~"5..|429"}'))
    repo.commit("count throttled requests as errors", "2026-12-02T09:00:00Z", "Carol", "carol@example.com")
    repo.write("payments.yaml", sla_yaml("payments", description="card payments"))
    return repo


def app(folder: Path, prometheus: str) -> FastAPI:
    return create_app(DirectorySource(folder), TokenStore(entries()), Settings(prometheus_url=prometheus, snapshot_seconds=0),
                      clock=fixed(AT))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Two APIs on one empty Prometheus: over the git repository, and over a plain folder of the same SLA."""
    git = git_repo(tmp_path_factory.mktemp("history") / "slas").path
    plain = tmp_path_factory.mktemp("no-git") / "slas"
    plain.mkdir()
    (plain / "shop.yaml").write_text(sla_yaml(), encoding="utf-8")
    with LocalPrometheus() as prom, app_thread(lambda: app(git, prom.url), "history-git") as in_git, \
            app_thread(lambda: app(plain, prom.url), "history-plain") as outside:
        yield {"git": in_git, "plain": outside}


@pytest.fixture(scope="module")
def console_url(served: dict[str, str]) -> str:
    """The console of the API over the git repository (the conftest's browser and tab open it)."""
    return served["git"]


def revisions(base: str, route: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer sre-token"}, timeout=60) as sre:
        response = sre.get(f"/v1/slas/{route.removeprefix('#/sla/')}/revisions")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def when(iso: str | None) -> str:
    """format.js's `when`, for comparing with a time from the API."""
    return f"{iso[:16].replace('T', ' ')} UTC" if iso else "—"


def opened(tab: Tab, route: str) -> None:
    tab.sign_in("sre-token", route)
    tab.page.wait_for_selector("#history:not([aria-busy])")


def shown_rows(tab: Tab) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = tab.page.eval_on_selector_all("#history-revisions tbody tr", """rows => rows.map(r => ({
        number: r.dataset.revision, cells: [...r.cells].slice(0, 5).map(c => c.innerText.trim()),
        badge: r.cells[3].querySelector('.kind').className,
        changes: [...r.cells[5].querySelectorAll('li')].map(li => li.textContent)}))""")
    return rows


def test_the_history_shows_the_apis_revisions_newest_first(tab: Tab, console_url: str) -> None:
    body = revisions(console_url, CHECKOUT)
    assert (body["history_known"], body["current"], [r["kind"] for r in body["revisions"]]) == (
        True, 3, ["created", "budget-critical", "sli"])
    opened(tab, CHECKOUT)
    rows = shown_rows(tab)
    newest_first = body["revisions"][::-1]
    assert [r["number"] for r in rows] == [str(r["number"]) for r in newest_first] == ["3", "2", "1"]
    for row, revision in zip(rows, newest_first, strict=True):
        number, at, who, kind, why = row["cells"]
        assert (number, at, who, kind) == (str(revision["number"]), when(revision["accepted_at"]),
                                           f"{revision['author']} ({revision['tool']})", revision["kind"])
        assert why.splitlines() == [revision["reason"], f"commit {revision['commit'][:12]}"]
        assert row["changes"] == revision["changes_text"]
        assert row["badge"] == f"kind kind-{revision['kind']}"
    assert rows[1]["changes"] == ["objectives[availability].target: 99.9 -> 99.95"]  # the API's words, shown as they are
    assert rows[0]["changes"] and rows[2]["changes"] == []
    assert tab.page.inner_text("#history-revisions tbody tr[data-revision='1'] td:last-child") == "the first version"
    assert "3 revisions, newest first; the current one is revision 3" in tab.page.inner_text("#history-revisions caption")
    # budget-critical is marked in words, not colour alone: the badge says it
    critical = tab.page.locator("#history .kind-budget-critical")
    assert critical.count() == 1 and critical.inner_text() == "budget-critical"
    assert tab.page.locator("tr[data-tier]").count() > 0  # the rest of the page is there
    assert sum("/revisions" in u for u in tab.requests) == 1
    assert tab.errors == []


def test_an_uncommitted_change_says_so(tab: Tab, console_url: str) -> None:
    body = revisions(console_url, PAYMENTS)
    newest = body["revisions"][-1]
    assert (newest["number"], newest["uncommitted"], newest["commit"]) == (2, True, None)
    opened(tab, PAYMENTS)
    number, at, who, kind, why = shown_rows(tab)[0]["cells"]
    assert (number, at, kind) == ("2", f"{when(newest['accepted_at'])}\nthe file's time, not committed yet", newest["kind"])
    assert why == "uncommitted change (edited in the SLA file, not committed yet)"
    assert who == (f"{newest['author']} ({newest['tool']})" if newest["tool"] else newest["author"] or "unknown")
    assert shown_rows(tab)[0]["changes"] == newest["changes_text"] != []
    assert tab.errors == []


def test_a_folder_without_git_says_there_is_no_history(tab: Tab, served: dict[str, str]) -> None:
    body = revisions(served["plain"], CHECKOUT)
    assert body["history_known"] is False and body["note"].startswith("no history: the current definition is the only one known")
    outside = Tab(tab.page, served["plain"])
    opened(outside, CHECKOUT)
    note = tab.page.inner_text("#history-note")
    assert note == f"N{body['note'][1:]}."
    assert note.startswith("No history: the current definition is the only one known")
    assert tab.page.locator("#history-revisions").count() == 0
    assert tab.errors == []


def test_a_history_that_cannot_be_read_is_said_and_the_page_stays(tab: Tab) -> None:
    tab.page.route(re.compile(r"/revisions$"), lambda route: route.fulfill(
        status=500, content_type="application/problem+json",
        json={"title": "Internal Server Error", "status": 500, "detail": "the revisions of shop/checkout could not be read: git timed out"}))
    opened(tab, CHECKOUT)
    said = tab.page.locator("#history-failure")
    assert said.get_attribute("role") == "alert"
    assert said.inner_text() == ("The history of shop/checkout could not be read: the API answered 500 "
                                 "(the revisions of shop/checkout could not be read: git timed out).")
    assert tab.page.locator("tr[data-tier]").count() > 0 and tab.page.locator("#exclusions-title").count() == 1
    assert tab.errors and all("500" in e for e in tab.errors)


def test_no_serious_accessibility_violations_in_the_history(tab: Tab) -> None:
    opened(tab, CHECKOUT)
    tab.page.wait_for_load_state("networkidle")
    results = Axe().run(tab.page)
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert serious == [], re.sub(r"\s+", " ", str([(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]))
