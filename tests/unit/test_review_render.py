"""A review pack's renderings (pledge.review.render) over a pack built by hand (tests.support.packs): the
HTML is standalone, escapes user input and shows the headline figures and the hash; the same pack gives
the same bytes; CSV has a line per row and period; JSON reads back as the same pack, whose hash checks."""

from __future__ import annotations

import csv
import io
import json
import re

from pledge.review import render
from pledge.review.pack import Pack, content_hash
from tests.support import packs
from tests.support.packs import HOSTILE_REASON, review_pack


def test_html_is_standalone_escapes_user_input_and_shows_the_headline_figures() -> None:
    pack = review_pack()
    page = render.html(pack)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    lowered = page.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert not re.search(r"https?://|\bsrc=|\bhref=|url\(|@import|<link|<img|<iframe|<object", lowered)
    assert "@page" in page and "size: A4" in page
    assert HOSTILE_REASON not in page and "<b>\"x\"" not in page
    assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; y" in page
    assert "Service review: customer acme — 2026-11" in page
    assert "closed: these are the period&#x27;s final figures" in page
    for text in packs.SLI_TEXT.values():
        assert text in page
    assert f"Credits owed (1):</b> shop/checkout: 10 % · <b>in total {packs.CREDIT_AMOUNT_TEXT}</b>" in page
    assert f"10 % ({packs.CREDIT_AMOUNT_TEXT})" in page  # the row's credit as money too
    assert packs.FORECAST in page and packs.TRACK_RECORD in page and "Brier score 0.081" in page
    assert "times Europe/Berlin" in page
    assert f"Data completeness: {packs.COMPLETENESS_TEXT} — below 100 %" in page
    assert f"restated (first published: SLI {packs.PUBLISHED_SLI_TEXT}, credit 5 %)" in page
    assert "✗ Breached" in page and "✓ Met" in page  # words and symbols: black and white still tells them apart
    assert "99.9 % (rev 3)" in page and "budget used 188 %" in page
    assert "2026-11-17 09:05–13:40+01:00" in page and "page-fast" in page  # the incident
    assert "cs-lead" in page and "INC-77" in page and "28.6 %" in page  # the correction, approved, budget back
    assert "CHG-1234" in page and "maintenance" in page  # the exclusion
    assert "-0.1380 pp" in page and "+0.0030 pp" in page  # against October
    assert pack.content_hash and page.count(pack.content_hash) == 2  # the end, and every printed page's footer
    assert pack.computed_at.isoformat() in page


def test_completeness_says_so_plainly_only_when_below_100_percent() -> None:
    pack = review_pack()
    whole = pack.model_copy(update={"summary": pack.summary.model_copy(update={"completeness": 1.0})})
    assert "Data completeness: 100 %</p>" in render.html(whole) and "below 100" not in render.html(whole)
    almost = pack.model_copy(update={"summary": pack.summary.model_copy(update={"completeness": 0.999999})})
    assert "Data completeness: 99.99 % — below 100 %" in render.html(almost)  # never rounded up to 100


def test_an_open_period_says_its_figures_will_change() -> None:
    pack = review_pack().model_copy(update={"closed": False})
    page = render.html(pack)
    assert "open: figures so far" in page and "final figures" not in page


def test_the_same_pack_gives_the_same_bytes() -> None:
    first, second = review_pack(), review_pack()
    assert first is not second
    assert render.html(first).encode() == render.html(second).encode()
    assert render.csv_text(first) == render.csv_text(second)
    assert render.json_bytes(first) == render.json_bytes(second)
    reread = Pack.model_validate_json(render.json_bytes(first))
    assert render.html(reread) == render.html(first)


def test_csv_has_a_line_per_row_and_period() -> None:
    pack = review_pack()
    lines = list(csv.DictReader(io.StringIO(render.csv_text(pack))))
    assert len(lines) == sum(1 + len(row.earlier) for row in pack.rows) == 4 * 3
    required = {"period", "namespace", "name", "service", "customer", "objective", "group", "target", "revision",
                "sli", "events_total", "events_bad", "budget_used", "state", "met", "credit_percent", "restated",
                "sli_published", "incidents", "adjustments", "content_hash"}
    assert required <= set(lines[0])
    assert [line["period"] for line in lines] == ["2026-11", "2026-10", "2026-09"] * 4
    checkout, october = lines[0], lines[1]
    assert checkout == {**checkout, "namespace": "shop", "name": "checkout", "service": "checkout-api",
                        "customer": "acme", "objective": "availability", "group": "", "target": "99.9",
                        "revision": "3", "sli": "0.99812", "events_total": "4200000", "events_bad": "7896",
                        "budget_used": "1.88", "state": "Breached", "met": "false", "credit_percent": "10",
                        "restated": "false", "sli_published": "", "incidents": "2", "adjustments": "2",
                        "content_hash": pack.content_hash, "credit_amount": packs.CREDIT_AMOUNT, "currency": "EUR"}
    assert october["sli"] == "0.9995" and october["state"] == "Breached" and october["credit_percent"] == "5"
    assert (october["namespace"], october["name"], october["objective"]) == ("shop", "checkout", "availability")
    assert all(october[c] == "" for c in ("target", "revision", "events_total", "events_bad", "budget_used", "met",
                                          "restated", "sli_published", "incidents", "adjustments"))
    eu = lines[3]
    assert eu["group"] == "region=eu" and eu["restated"] == "true" and eu["sli_published"] == "0.99871"
    assert eu["credit_percent"] == "" and eu["met"] == "true" and eu["revision"] == "1"
    assert lines[9]["revision"] == ""  # payments/gateway has no revision history


def test_json_is_the_pack_and_its_hash_checks() -> None:
    pack = review_pack()
    body = render.json_bytes(pack)
    text = body.decode("utf-8")
    assert text.startswith("{\n  ") and json.loads(text) == pack.model_dump(mode="json")
    assert list(json.loads(text)) == sorted(json.loads(text))
    reread = Pack.model_validate_json(body)
    assert reread == pack
    assert content_hash(reread) == pack.content_hash == reread.content_hash
    tampered = reread.model_copy(update={"rows": [reread.rows[0].model_copy(update={"credit_percent": "5"}),
                                                  *reread.rows[1:]]})
    assert content_hash(tampered) != pack.content_hash  # a changed figure no longer matches the signed hash
