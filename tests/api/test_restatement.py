"""A closed month restated (issue 27, item 3): the world's monthly SLA (tests.support.world: a 6-hour
outage on its previous month's 13th) kept in a real git repository; a forgotten maintenance over the
outage committed after the month closed. The month's report shows its figures as first published (the
corrections in force at its close: none) and as restated, each checked against counts worked out by
hand from the raw counters; the same correction committed before the close is no restatement."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from pledge.api.app import create_app
from pledge.api.auth import TokenStore
from pledge.api.server import serving
from pledge.api.settings import Settings
from pledge.api.sources import DirectorySource
from pledge.clock import fixed
from pledge.review.render import sli_text
from pledge.sla.units import DAY
from tests.support import world
from tests.support.api_checks import month_label
from tests.support.corrections import FORGOTTEN, MONTHLY, OCTOBER, OUTAGE, credit, held
from tests.support.gitrepo import Repo
from tests.support.world import World, client, entries

pytestmark = pytest.mark.integration
CREATED = world.iso(OCTOBER[0] - DAY)
CLOSED = world.month_start(world.END)  # October's close; the world's end is at least 40 minutes after it


def repo_with(tmp_path: Path, correction_at: float) -> Repo:
    """The monthly SLA created before October; the forgotten maintenance committed at ``correction_at``."""
    document = MONTHLY.model_dump(by_alias=True, mode="json", exclude_none=True)
    repo = Repo(tmp_path / "slas")
    repo.write("monthly.yaml", yaml.safe_dump(document, sort_keys=False))
    repo.commit("the monthly SLA", CREATED)
    document["spec"]["corrections"] = [FORGOTTEN]
    repo.write("monthly.yaml", yaml.safe_dump(document, sort_keys=False))
    repo.commit("exclude the database upgrade", world.iso(correction_at), "Bob", "bob@example.com")
    return repo


@asynccontextmanager
async def api(repo: Repo, loaded: World) -> AsyncIterator[str]:
    settings = Settings(prometheus_url=loaded.prom.url, snapshot_seconds=0)
    async with serving(create_app(DirectorySource(repo.path), TokenStore(entries()), settings, clock=fixed(world.AT))) as url:
        yield url


async def report(url: str, accept: str = "application/json") -> Any:
    async with client(url) as http:
        answer = await http.get(f"/v1/slas/{world.NS}/monthly/report", params={"period": month_label(OCTOBER[0])},
                                headers={"Accept": accept})
    assert answer.status_code == 200, answer.text
    return answer.json() if accept == "application/json" else list(csv.DictReader(io.StringIO(answer.text)))


async def test_a_correction_committed_after_the_close_restates_the_month(tmp_path: Path, loaded: World) -> None:
    async with api(repo_with(tmp_path, CLOSED + 10 * 60), loaded) as url:
        body = await report(url)
        [line] = await report(url, "text/csv")
    [row] = body["rows"]
    recorded_bad, recorded_valid = row["events_bad_uncorrected"], row["events_total_uncorrected"]
    held_bad, held_valid = await held(loaded, OUTAGE)
    published = 1 - recorded_bad / recorded_valid  # nothing corrected when October closed
    restated = 1 - (recorded_bad - held_bad) / (recorded_valid - held_valid)
    assert row["sli"] == pytest.approx(restated, abs=1e-12) and row["credit_percent"] == credit(restated)
    restatement = body["restatement"]
    assert (restatement["published_revision"], restatement["restated_by"]) == (1, [2])
    [changed] = restatement["rows"]
    assert changed["sli_published"] == pytest.approx(published, abs=1e-12)
    assert changed["sli_restated"] == row["sli"]
    assert changed["attainment_change"] == pytest.approx(restated - published, abs=1e-12)
    first, now = credit(published), credit(restated)
    assert (first, changed["credit_percent_published"], changed["credit_percent_restated"]) == ("20", "20", now)
    assert Decimal(changed["credit_change"]) == Decimal(now or "0") - Decimal(20)
    assert restatement["credits_published"] == {"": "20"} and body["credits"] != restatement["credits_published"]
    assert restatement["words"].startswith("Restated: first published under revision 1; revision 2 (accepted ")
    shown = [sli_text(x) for x in (published, restated)]  # 4 decimals, rounded down
    assert (f"by Bob <bob@example.com>) changed its corrections since: availability: {shown[0]} -> {shown[1]}, "
            f"credit 20 % -> {now or '0'} %.") in restatement["words"]
    assert (float(line["sli_published"]), line["credit_percent_published"]) == (changed["sli_published"], "20")
    assert line["terms"] == body["terms"]["words"]
    print(f"October restated: {published:.6f} ({first} %) -> {restated:.6f} ({now} %)")


async def test_a_correction_committed_before_the_close_is_no_restatement(tmp_path: Path, loaded: World) -> None:
    async with api(repo_with(tmp_path, OUTAGE[1] + 7 * DAY), loaded) as url:
        body = await report(url)
    [row] = body["rows"]
    assert row["corrections"] and body["restatement"] is None  # corrected, as published at the close
