"""The customer view's track record panel, in a real Chromium: the API's words, and its reliability table."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from tests.support.browser import Tab

BIN = {"predicted": None, "observed": None, "decisions": 0}
SUMMARY: dict[str, Any] = {
    "periods": 9, "breached": 2, "decisions": 256, "brier": 0.1234, "base_rate": 2 / 9, "brier_skill": 0.12,
    "reliability": [{**BIN, "low": b / 10, "high": (b + 1) / 10} for b in range(10)],
    "warned": 2, "warned_breached": 1, "missed": 1, "median_warning_seconds": 385_199.0, "median_warning_days": 4.458,
    "words": "Of the last 2 months we warned about, 1 breached; we missed 1; median warning 4.5 days before the breach "
             "(9 months judged).",
}
SUMMARY["reliability"][1] = {"low": 0.1, "high": 0.2, "decisions": 116, "predicted": 0.15, "observed": 0.0}
SUMMARY["reliability"][7] = {"low": 0.7, "high": 0.8, "decisions": 5, "predicted": 0.75, "observed": 1.0}
ROW = {**SUMMARY, "namespace": "api", "name": "monthly", "service": "monthly", "customer": "initech",
       "objective": "availability", "group": {}, "target": 0.999, "window": "calendar month", "history": []}
ANSWER = {"at": "2026-10-15T12:00:00Z", "periods_back": 6, "fleet": SUMMARY, "items": [ROW], "not_judged": [],
          "how": "Each closed calendar period's predictions ..."}


def test_the_panel_says_the_apis_words(tab: Tab, console_url: str) -> None:
    with httpx.Client(base_url=console_url, headers={"Authorization": "Bearer initech-token"}, timeout=60) as initech:
        words = initech.get("/v1/predictions/record", params={"customer": "initech", "periods": 6}).json()["fleet"]["words"]
    tab.sign_in("initech-token", "#/customer")
    tab.page.wait_for_selector("#record:not([aria-busy])")
    assert tab.page.inner_text("#record-words") == f"Track record: {words}"
    assert any("/v1/predictions/record?" in u and "customer=initech" in u for u in tab.requests)
    assert tab.errors == []


def test_the_panel_shows_the_reliability_and_the_record_per_sla(tab: Tab) -> None:
    tab.page.route(re.compile(r"/v1/predictions/record\?"), lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(ANSWER)))
    tab.sign_in("sre-token", "#/customer/initech")
    tab.page.wait_for_selector("#record:not([aria-busy])")
    assert tab.page.inner_text("#record-words") == f"Track record: {SUMMARY['words']}"
    bins = tab.page.eval_on_selector_all("#record-reliability tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    assert bins == [["0.1–0.2", "116", "15 %", "0 %"], ["0.7–0.8", "5", "75 %", "100 %"]]
    per_sla = tab.page.locator("#record table", has_text="closed periods per SLA").locator("tbody tr").first
    assert per_sla.inner_text().split("\t") == ["api/monthly", "availability", "—", "9", "2", "1", "1", "4.5 days"]
    assert tab.errors == []
