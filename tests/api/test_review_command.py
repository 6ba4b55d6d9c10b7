"""`pledge review` (issue 28) over the API tests' world: the pack it writes is byte for byte the one the
API serves for the same SLA files, moment and scope; its PDF reads back with the pack's hash; scheduled
delivery writes each closed period once; usage errors say what to give."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pledge.api.app import create_app
from pledge.api.auth import TokenStore
from pledge.api.server import serving
from pledge.api.settings import Settings
from pledge.api.sources import DirectorySource
from pledge.clock import fixed
from pledge.commands.main import main
from pledge.slo.periods import calendar_period, last_closed
from tests.support import world
from tests.support.world import World, client, entries

pytestmark = pytest.mark.integration
PERIOD = calendar_period("month", "UTC", calendar_period("month", "UTC", world.AT).start - 1).label  # UTC, closed


def sla_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "slas"
    folder.mkdir()
    for name, sla in world.SLAS.items():
        document = sla.model_dump(by_alias=True, mode="json", exclude_none=True)
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return folder


def command(loaded: World, folder: Path, *args: str) -> list[str]:
    return ["review", "--customer", "initech", "--at", str(world.AT), "--prometheus-url", loaded.prom.url,
            "--sla-dir", str(folder), *args]


async def served(loaded: World, folder: Path, period: str, output_format: str) -> bytes:
    """The API's pack over the same files, as of the same moment."""
    source = DirectorySource(folder)
    settings = Settings(prometheus_url=loaded.prom.url, snapshot_seconds=0)
    async with serving(create_app(source, TokenStore(entries()), settings, clock=fixed(world.AT))) as url:
        await source.validated()
        async with client(url) as http:
            answer = await http.get("/v1/review", params={"customer": "initech", "period": period, "at": world.AT,
                                                          "format": output_format})
    assert answer.status_code == 200, answer.text
    return answer.content


def test_the_command_writes_the_pack_the_api_serves(tmp_path: Path, loaded: World) -> None:
    folder = sla_folder(tmp_path)
    result = CliRunner().invoke(main, command(loaded, folder, "--period", PERIOD, "--format", "json",
                                              "-o", str(tmp_path / "pack.json")))
    assert result.exit_code == 0, result.output
    written = (tmp_path / "pack.json").read_bytes()
    assert written == asyncio.run(served(loaded, folder, PERIOD, "json"))
    pack = json.loads(written)
    assert pack["scope"] == {"customer": "initech"} and pack["period"] == PERIOD and pack["rows"]
    result = CliRunner().invoke(main, command(loaded, folder, "--period", PERIOD, "--format", "pdf",
                                              "-o", str(tmp_path / "pack.pdf")))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pack.pdf").read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "pack.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert pack["content_hash"] in text.replace("\n", "").replace(" ", "")


def test_scheduled_delivery_writes_each_closed_period_once(tmp_path: Path, loaded: World) -> None:
    folder, deliver = sla_folder(tmp_path), tmp_path / "packs"
    args = command(loaded, folder, "--every", "month", "--once", "--deliver", str(deliver), "--format", "json")
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    period = last_closed("month", world.AT, grace=86_400)  # the default grace: a day
    name = f"review-customer-initech-{period}.json"
    assert sorted(p.name for p in deliver.iterdir()) == [name, f"{name}.content-hash"]
    body = (deliver / name).read_bytes()
    assert (deliver / f"{name}.content-hash").read_text().strip() == json.loads(body)["content_hash"]
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "already delivered, unchanged" in again.output, again.output
    assert (deliver / name).read_bytes() == body and len(list(deliver.iterdir())) == 2


@pytest.mark.parametrize(("args", "words"), [
    (["review", "--period", "2026-11"], "give the pack's scope: --customer, --service or --owner"),
    (["review", "--customer", "acme"], "give --period (e.g. 2026-11), or --every"),
    (["review", "--customer", "acme", "--period", "2026-13"], '--period: expected a month "2026-10"'),
    (["review", "--customer", "acme", "--every", "month"], "--every takes --deliver DIR"),
    (["review", "--customer", "acme", "--period", "2026-11", "--api", "http://127.0.0.1:9"], "--api needs --token"),
])
def test_usage_errors_say_what_to_give(args: list[str], words: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLEDGE_TOKEN", raising=False)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and words in result.output, result.output
