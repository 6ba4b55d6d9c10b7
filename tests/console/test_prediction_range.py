"""The customer view says a breach moment's range in words: an open end reads "no later bound", never
a dash. The API's real answer is passed through with its range's ends set (the world's predictions
may have both or none)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Route

from tests.support.browser import Tab

AT, EARLIEST, LATEST = "2026-12-09T10:00:00Z", "2026-12-08T14:20:00Z", "2026-12-10T08:00:00Z"


def with_ranges(route: Route) -> None:
    answer = route.fetch()
    body = answer.json()
    ends = [(EARLIEST, None), (EARLIEST, LATEST), (None, LATEST)]
    for item, (earliest, latest) in zip(body["items"], ends):
        item.update(breach_at=AT, breach_earliest=earliest, breach_latest=latest)
    route.fulfill(response=answer, body=json.dumps(body))


def test_an_open_range_is_said_in_words(tab: Tab) -> None:
    tab.page.route(re.compile(r"/v1/predictions\?"), with_ranges)
    tab.sign_in("initech-token", "#/customer")
    tab.page.wait_for_selector("#predictions:not([aria-busy])")
    text = tab.page.inner_text("#predictions")
    assert "Expected around 2026-12-09 10:00 UTC (from 2026-12-08 14:20 UTC, no later bound)." in text, text
    if text.count("Expected around") > 1:
        assert "(between 2026-12-08 14:20 UTC and 2026-12-10 08:00 UTC)." in text, text
    assert "—" not in text and "and —" not in text
    assert tab.errors == []
