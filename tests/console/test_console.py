"""The console against the real API world, in a real Chromium: what the page shows is what the API says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.support import world
from tests.support.browser import Tab

SERIOUS = ("serious", "critical")
PER_SLA_DETAIL = re.compile(r"/v1/slas/[^/?]+/[^/?]+$")  # GET /v1/slas/{ns}/{name}, not its sub-routes


@pytest.fixture
def sre(console_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console_url, headers={"Authorization": "Bearer sre-token"}, timeout=30) as client:
        yield client


def objective_rows(client: httpx.Client) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    items = client.get("/v1/slas", params={"limit": 1000}).json()["items"]
    return [(s, o) for s in items for o in s["objectives"]]


def percent(ratio: float, digits: int) -> str:
    """The console's percent format, for comparing with a figure from the API."""
    return f"{ratio * 100:.{digits}f} %"


def listed(tab: Tab) -> list[dict[str, str]]:
    tab.page.wait_for_selector("#sla-rows[data-filled]")
    rows: list[dict[str, str]] = tab.page.eval_on_selector_all("#sla-rows tr", """rows => rows.map(r => ({
        sla: r.dataset.sla, key: r.dataset.key, state: r.cells[6].textContent, budget: r.cells[9].textContent,
        burn: r.cells[10].textContent, alerts: r.cells[11].textContent, customer: r.cells[4].textContent}))""")
    return rows


def budget_value(text: str) -> float:
    return float(text.rstrip(" %")) if text != "—" else float("inf")


def group_text(group: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(group.items()))


def shown_details(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """Every objective's detail from GET /v1/details, by the list's row key."""
    items = client.get("/v1/details", params={"limit": 1000}).json()["items"]
    return {f"{d['namespace']}/{d['name']}/{o['objective']}/{group_text(o['group'])}": o for d in items for o in d["objectives"]}


def burn_text(objective: dict[str, Any]) -> str:
    burn = objective["burn_now"]
    return "—" if burn is None else f"{burn:.2f}×"


def alerts_text(objective: dict[str, Any]) -> str:
    names = [f"{a['name']} {a['labels']['burn_tier']}" if a["labels"].get("burn_tier") else a["name"] for a in objective["alerts"]]
    return ", ".join(names) or "none"


def test_the_list_shows_the_apis_figures(tab: Tab, sre: httpx.Client) -> None:
    tab.sign_in("sre-token")
    rows = listed(tab)
    expected = objective_rows(sre)
    assert len(rows) == len(expected)
    assert f"of {len(expected)} ({len(expected)} in all)" in tab.page.inner_text("#shown")
    summary = next(o for s, o in expected if s["name"] == "burning")
    burning = next(r for r in rows if r["sla"] == "api/burning")
    assert burning["budget"] == percent(summary["budget_remaining"], 1)
    assert burning["state"] == summary["state"]
    details = shown_details(sre)
    assert {r["key"] for r in rows} == set(details)
    assert [(r["burn"], r["alerts"]) for r in rows] == [(burn_text(details[r["key"]]), alerts_text(details[r["key"]])) for r in rows]
    assert burning["alerts"] != "none" and any(r["burn"] != "—" for r in rows)
    assert tab.errors == []


def test_the_list_reads_every_detail_in_one_request_per_refresh(tab: Tab) -> None:
    """No GET /v1/slas/{ns}/{name} from the list: its burn and alert columns come from GET /v1/details,
    asked once per refresh (every 2 s here) however many times the table is redrawn in between."""
    tab.sign_in("sre-token")
    listed(tab)
    tab.page.wait_for_timeout(4_500)
    listed(tab)
    assert [u for u in tab.requests if PER_SLA_DETAIL.search(u)] == []
    assert tab.page.inner_text("th#burn-head") == "burn now (5m)"  # the API's burn_now_window
    refreshes = sum("/v1/slas?limit=1000" in u for u in tab.requests)
    bulk = sum("/v1/details?limit=1000&offset=0" in u for u in tab.requests)
    assert refreshes >= 3 and refreshes - 1 <= bulk <= refreshes
    assert tab.errors == []


def test_the_list_falls_back_to_one_detail_per_sla(tab: Tab, sre: httpx.Client) -> None:
    """When the bulk read fails (the browser drops it), each SLA shown is asked on its own."""
    tab.page.route(re.compile(r"/v1/details\?"), lambda route: route.abort())
    tab.sign_in("sre-token")
    rows = listed(tab)
    details = shown_details(sre)
    assert [r["burn"] for r in rows] == [burn_text(details[r["key"]]) for r in rows]
    asked = {re.sub(r"^.*/v1/slas/", "", u) for u in tab.requests if PER_SLA_DETAIL.search(u)}
    assert asked == {r["sla"] for r in rows}
    said = tab.page.inner_text("[data-failure=bulk]")  # and the page says why, in words
    assert "asked on its own" in said and "could not be reached" in said
    assert tab.errors and all("ERR_FAILED" in e for e in tab.errors)  # the dropped requests, and nothing else


def test_filters_and_sorting(tab: Tab, sre: httpx.Client) -> None:
    tab.sign_in("sre-token")
    budgets = [budget_value(r["budget"]) for r in listed(tab)]
    assert budgets == sorted(budgets) and len(set(budgets)) > 2
    tab.page.click("#sort-budget")
    budgets = [budget_value(r["budget"]) for r in listed(tab) if r["budget"] != "—"]
    assert budgets == sorted(budgets, reverse=True)
    expected = objective_rows(sre)
    tab.page.select_option("#filter-state", "Breached")
    breached = [s["name"] for s, o in expected if o["state"] == "Breached"]
    assert breached, "the world has a breached objective"
    assert sorted(r["sla"] for r in listed(tab)) == sorted(f"api/{n}" for n in breached)
    tab.page.select_option("#filter-state", index=0)
    tab.page.select_option("#filter-customer", "acme")
    assert {r["customer"] for r in listed(tab)} == {"acme"}
    tab.page.select_option("#filter-customer", index=0)
    tab.page.fill("#search", "month")
    assert {r["sla"] for r in listed(tab)} == {"api/monthly"}
    assert tab.errors == []


def test_keyboard_only(tab: Tab) -> None:
    page = tab.page
    page.goto(f"{tab.base}/")
    page.keyboard.type("sre-token")  # the token field has the focus
    page.keyboard.press("Enter")
    page.wait_for_selector("#sla-rows[data-filled]")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("bursty")
    for _ in range(12):  # past the filters to the first SLA link
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "api/bursty":
            break
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:text('api/bursty')")
    assert "#/sla/api/bursty" in page.url
    assert tab.errors == []


def test_refreshes_without_reloading(tab: Tab) -> None:
    tab.sign_in("sre-token")
    listed(tab)
    tab.page.evaluate("window.stayed = true")
    before = sum("/v1/slas?limit=1000" in u for u in tab.requests)
    tab.page.wait_for_timeout(4_500)  # the tab refreshes every 2 s (PLEDGE_REFRESH_SECONDS)
    assert sum("/v1/slas?limit=1000" in u for u in tab.requests) >= before + 2
    assert tab.page.evaluate("window.stayed") is True


def test_detail_page(tab: Tab, sre: httpx.Client) -> None:
    detail = sre.get("/v1/slas/api/monthly").json()
    definition = sre.get("/v1/slas/api/monthly/definition").json()
    tab.sign_in("sre-token", "#/sla/api/monthly")
    page = tab.page
    page.wait_for_selector("svg.chart path.line")
    objective = detail["objectives"][0]
    assert page.locator("svg.chart").count() == 2
    assert detail["window_kind"] == "calendar" and page.locator("svg.chart line.even").count() == 1
    assert page.locator("svg.chart .maintenance").count() == 2 * len(detail["period"]["excluded"]) > 0
    assert str(page.locator("svg.chart path.line").first.get_attribute("d")).count("L") > 10  # a real series
    # the charts draw the API's burn-down, asked once: no budget math and no report per point in the page
    [points] = [s["points"] for s in sre.get("/v1/slas/api/monthly/burndown", params={"at": detail["at"]}).json()["series"]]
    paths = [str(d).count("L") + 1 for d in page.locator("svg.chart path.line").evaluate_all("ps => ps.map(p => p.getAttribute('d'))")]
    assert paths == [sum(p["sli"] is not None for p in points), sum(p["budget_remaining"] is not None for p in points)]
    fast = [(p["burn_rate"] or 0) > 1 for p in points]
    runs = sum(f and not (i and fast[i - 1]) for i, f in enumerate(fast))
    assert page.locator("svg.chart .episode").count() == 2 * runs
    assert sum("/burndown?" in u for u in tab.requests) == 1 and not any("/report" in u for u in tab.requests)
    assert page.locator("tr[data-tier]").count() == len(definition["tiers"]) == 4
    firing = {a["labels"].get("burn_tier") for a in objective["alerts"]}
    for tier in definition["tiers"]:
        cell = page.locator(f"tr[data-tier='{tier['name']}'] td").nth(6).inner_text()
        assert cell == ("firing" if tier["name"] in firing else "quiet")
    assert page.inner_text(".owed") == f"{objective['credit_percent']} %"
    assert "upgrade" in page.inner_text("#exclusions-title + ul")
    assert "kind: ServiceLevelAgreement" in page.inner_text("#sla-yaml")
    assert "pledge:sli_error_ratio:period" in page.inner_text("#queries-title ~ dl")
    assert tab.errors == []


def test_the_detail_page_says_why_its_charts_are_empty(tab: Tab, sre: httpx.Client) -> None:
    """When the burn-down cannot be read (the browser drops it), the page says so in words and
    still shows the current figures; with the burn-down there, no such words."""
    tab.page.route(re.compile(r"/burndown\?"), lambda route: route.abort())
    tab.sign_in("sre-token", "#/sla/api/monthly")
    page = tab.page
    page.wait_for_selector("tr[data-tier]")
    alert = page.locator("#burndown-failure")
    assert alert.get_attribute("role") == "alert"
    assert "burn-down could not be read" in alert.inner_text()
    lines = page.locator("svg.chart path.line").evaluate_all("ps => ps.map(p => p.getAttribute('d'))")
    assert all("L" not in str(d) for d in lines)  # no series drawn
    assert page.inner_text(".owed") == f"{sre.get('/v1/slas/api/monthly').json()['objectives'][0]['credit_percent']} %"
    assert tab.errors and all("ERR_FAILED" in e for e in tab.errors)
    tab.page.unroute(re.compile(r"/burndown\?"))
    tab.page.reload()
    page.wait_for_selector("svg.chart path.line")
    assert page.locator("#burndown-failure").count() == 0


def test_customer_view_reports_and_csv(tab: Tab, console_url: str) -> None:
    with httpx.Client(base_url=console_url, headers={"Authorization": "Bearer initech-token"}, timeout=120) as initech:
        period = world.iso(world.PREVIOUS_MONTH[0] + 86_400)[:7]
        report = initech.get("/v1/slas/api/bursty/report", params={"period": period}).json()
        csv = initech.get("/v1/slas/api/bursty/report", params={"period": period}, headers={"Accept": "text/csv"}).text
        messages = [p["message"] for p in initech.get("/v1/predictions").json()["items"]]
    tab.sign_in("initech-token", "#/customer")
    page = tab.page
    page.wait_for_selector("#reports table tbody tr")
    assert page.inner_text("#customer-name") == "initech"
    page.wait_for_selector("#predictions:not([aria-busy])")
    assert messages and all(m in page.inner_text("#predictions") for m in messages)
    row = page.locator("#reports table tbody tr", has_text=period).first
    assert row.locator(".credit").inner_text() == f"{report['rows'][0]['credit_percent']} %"
    assert row.locator("td").nth(4).inner_text() == percent(report["rows"][0]["sli"], 3)
    with page.expect_download() as download:
        row.get_by_role("button", name="CSV").click()
    assert open(download.value.path(), encoding="utf-8").read() == csv
    page.click(f"a[href='#/report/initech/{period}']")
    page.wait_for_selector("#report-owed")
    assert page.inner_text("#report-owed") == f"{report['credits']['']} %"
    assert report["terms"]["words"] in page.inner_text("#report-terms li[data-sla='api/bursty']")  # the terms in force
    page.emulate_media(media="print")
    assert not page.is_visible("header.bar") and page.is_visible(".report-page table")
    assert tab.errors == []


def test_the_customer_view_reads_bulk_routes(tab: Tab) -> None:
    """The customer view asks one bulk route per question, however many SLAs: the SLAs now from
    GET /v1/details?customer=, each month's reports from GET /v1/reports?period=&customer= (three
    months, three requests), and no per-SLA detail or report; the report page asks one."""
    tab.sign_in("sre-token", "#/customer/initech")
    tab.page.wait_for_selector("#reports table tbody tr")
    tab.page.wait_for_selector("#predictions:not([aria-busy])")
    api = [re.sub(r"^.*?(/v1/)", r"\1", u) for u in tab.requests if "/v1/" in u]
    assert [u for u in api if "/report?" in u or PER_SLA_DETAIL.search(u)] == []
    assert sum(u.startswith("/v1/details?") and "customer=initech" in u for u in api) == 1
    months = [u for u in api if u.startswith("/v1/reports?")]
    assert len(months) == 3 and all("customer=initech" in u for u in months)
    assert len({re.search(r"period=([0-9-]+)", u).group(1) for u in months}) == 3  # type: ignore[union-attr]
    period = re.search(r"period=([0-9-]+)", months[0]).group(1)  # type: ignore[union-attr]
    before = len(tab.requests)
    tab.page.click(f"a[href='#/report/initech/{period}']")
    tab.page.wait_for_selector("#report-owed")
    asked = [u for u in tab.requests[before:] if "/v1/" in u]
    assert len(asked) == 1 and "/v1/reports?" in asked[0]
    assert tab.errors == []


PROBLEM = {"title": "Service Unavailable", "status": 503, "detail": "Prometheus at http://prometheus:9090 timed out"}
SAID_503 = ("Prometheus, where the figures come from, is not answering right now (Prometheus at http://prometheus:9090 "
            "timed out); try again in a minute")


def fail_with_503(tab: Tab, pattern: str) -> None:
    """The API answers the matching requests with its 503 problem (as when Prometheus is down)."""
    tab.page.route(re.compile(pattern), lambda route: route.fulfill(
        status=503, content_type="application/problem+json", headers={"Retry-After": "5"}, json=PROBLEM))


def failures_are_503s(tab: Tab) -> bool:
    """The browser logs each failed load; nothing else may reach the console."""
    return bool(tab.errors) and all("503" in e for e in tab.errors)


def test_a_failure_shows_in_words_on_the_list(tab: Tab) -> None:
    """A route that fails is said on the page, with the API's reason: no column silently empty."""
    fail_with_503(tab, r"/v1/predictions")
    tab.sign_in("sre-token")
    rows = listed(tab)
    said = tab.page.locator("[data-failure=predictions]")
    said.wait_for()
    assert said.get_attribute("role") == "alert" and SAID_503 in said.inner_text()
    assert "P(breach) could not be read" in said.inner_text()
    probabilities = tab.page.eval_on_selector_all("#sla-rows tr", "rows => rows.map(r => r.cells[12].textContent)")
    assert probabilities == ["?"] * len(rows)
    assert failures_are_503s(tab)


def test_a_failure_shows_in_words_in_the_customer_view(tab: Tab) -> None:
    fail_with_503(tab, r"/v1/(reports|predictions)\?")
    tab.sign_in("sre-token", "#/customer/initech")
    tab.page.wait_for_selector("#reports:not([aria-busy])")
    tab.page.wait_for_selector("#predictions:not([aria-busy])")
    for box, what in (("#reports", "The reports of the last three months could not be read"),
                      ("#predictions", "The breach predictions could not be read")):
        said = tab.page.locator(f"{box} [role=alert]")
        assert said.inner_text() == f"{what}: {SAID_503}."
    assert tab.page.inner_text("#own-title + table tbody").strip()  # the SLAs now are still there
    tab.page.goto(f"{tab.base}/#/report/initech/2026-10")
    said = tab.page.locator("main [role=alert]")
    said.wait_for()
    assert said.inner_text() == f"The report of 2026-10 could not be read: {SAID_503}."
    assert failures_are_503s(tab)


def test_a_failure_shows_in_words_on_the_detail_page(tab: Tab) -> None:
    fail_with_503(tab, r"/definition$")
    tab.sign_in("sre-token", "#/sla/api/monthly")
    said = tab.page.locator("main [role=alert]")
    said.wait_for()
    assert said.inner_text() == f"The SLA api/monthly could not be shown: {SAID_503}."
    assert failures_are_503s(tab)


def test_the_modules_are_javascript_and_the_states_are_the_apis(tab: Tab, sre: httpx.Client) -> None:
    """The page loads native ES modules, each served as JavaScript (a browser runs no module of another
    type); the console's list of states is the API's enum."""
    index = sre.get("/").text
    modules = re.findall(r'(?:src|href)="/([a-z]+\.js)"', index)
    assert '<script type="module" src="/main.js">' in index and len(modules) > 5
    for module in modules:
        response = sre.get(f"/{module}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript"), module
    tab.sign_in("sre-token")
    states = tab.page.evaluate("import('/format.js').then((m) => m.STATES)")
    schema = sre.get("/openapi.json").json()["components"]["schemas"]["ObjectiveSummary"]["properties"]["state"]
    assert states == schema["enum"]
    assert tab.errors == []


def test_a_customer_sees_only_its_own(tab: Tab) -> None:
    bodies: list[str] = []
    tab.page.on("response", lambda r: bodies.append(r.text()) if "/v1/" in r.url else None)
    tab.sign_in("acme-token")
    rows = listed(tab)
    assert rows and {r["customer"] for r in rows} == {"acme"}
    tab.page.goto(f"{tab.base}/#/customer")
    tab.page.wait_for_selector("#reports:not([aria-busy])")
    assert tab.page.locator("#customer-pick option").all_inner_texts() == ["acme"]
    tab.page.goto(f"{tab.base}/#/sla/api/bursty")  # initech's
    assert "does not exist, or this token may not see it" in tab.page.inner_text("[role=alert]")
    tab.page.goto(f"{tab.base}/#/sla/api/grouped")
    tab.page.wait_for_selector("svg.chart")
    assert tab.page.locator("#sla-yaml").count() == 0  # the SLA as written is for read:all tokens
    seen = " ".join(bodies) + tab.page.content()
    for other in ("globex", "initech", "ev\\\"il"):
        assert other not in seen
    assert not any("acme-token" in u for u in tab.requests)


def test_sign_in_and_out(tab: Tab) -> None:
    page = tab.page
    page.goto(f"{tab.base}/")
    page.fill("#token", "not-a-token")
    page.press("#token", "Enter")
    page.wait_for_selector("#signin-error:text('not valid')")
    assert page.evaluate("sessionStorage.length") == 0
    tab.sign_in("sre-token")
    assert page.evaluate("sessionStorage.getItem('pledge.token')") == "sre-token"
    page.click("#sign-out")
    page.wait_for_selector("#token")
    assert page.evaluate("sessionStorage.length") == 0
    assert not any("token" in u.split("/v1/")[-1] for u in tab.requests)
    assert [e for e in tab.errors if "401" not in e] == []  # the rejected token's request is the only one


@pytest.mark.parametrize("view", ["#/", "#/sla/api/monthly", "#/customer/initech", "#/report/initech/" + world.iso(world.PREVIOUS_MONTH[0] + 86_400)[:7]])
def test_no_serious_accessibility_violations(tab: Tab, view: str) -> None:
    tab.sign_in("sre-token", view)
    tab.page.wait_for_selector("main h1")
    tab.page.wait_for_load_state("networkidle")
    results = Axe().run(tab.page)
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert serious == [], re.sub(r"\s+", " ", str([(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]))


def test_the_review_page_shows_the_pack_and_downloads_it(tab: Tab, console_url: str) -> None:
    """The customer's Review page: the pack as it prints (in a frame where no script runs), its hash as the
    API states it, and the CSV download byte for byte; another customer's token is told the pack is not there."""
    period = world.iso(world.PREVIOUS_MONTH[0] + 86_400)[:7]
    params = {"customer": "initech", "period": period, "compare": "1"}
    with httpx.Client(base_url=console_url, headers={"Authorization": "Bearer initech-token"}, timeout=120) as initech:
        pack = initech.get("/v1/review", params=params).json()
        csv = initech.get("/v1/review", params={**params, "format": "csv"}).content
    tab.sign_in("initech-token", f"#/review/initech/{period}")
    page = tab.page
    page.wait_for_selector("#review-status[data-hash]")
    assert page.get_attribute("#review-status", "data-hash") == pack["content_hash"]
    assert page.get_attribute("#review-pack", "sandbox") == ""  # the pack's HTML runs nothing
    framed = page.frame_locator("#review-pack").locator("body").inner_text()
    assert pack["content_hash"] in framed and all(line in framed for line in pack["summary"]["lines"])
    with page.expect_download() as download:
        page.click("#review-csv")
    assert open(download.value.path(), "rb").read() == csv
    assert tab.errors == []
    page.click("#sign-out")
    page.wait_for_selector("#token")
    tab.sign_in("acme-token", f"#/review/initech/{period}")
    page.wait_for_selector("p.error")
    assert "it does not exist, or this token may not see it" in page.inner_text("p.error")
