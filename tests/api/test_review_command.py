"""`pledge review` (issue 28) over the API tests' world: the pack it writes is byte for byte the one the
API serves for the same SLA files, moment and scope; its PDF reads back with the pack's hash; scheduled
delivery writes each closed period once to a folder, or POSTs it once to a webhook (a real local HTTP
server here) and keeps a ledger, so a rerun posts nothing, a failed POST counts for nothing and is
retried, and a restated pack is posted once naming the hash it restates; usage errors say what to give."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class Hook:
    """A webhook: a real HTTP server on 127.0.0.1 that records each POST and answers it with the next of
    ``statuses`` (200 once they are used up)."""
    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    recorder = Hook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            recorder.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = recorder.statuses.pop(0) if recorder.statuses else 200
            answer = b"boom" if status >= 300 else b"ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/packs"
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def canonical_hash(body: bytes) -> str:
    """A JSON pack's content hash, as docs/governance.md checks a signed copy."""
    pack = json.loads(body)
    pack.pop("content_hash")
    return hashlib.sha256(json.dumps(pack, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def ledger_entries(path: Path) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))["deliveries"]
    return entries


def test_webhook_delivery_posts_each_pack_once(tmp_path: Path, loaded: World, hook: Hook) -> None:
    folder, ledger = sla_folder(tmp_path), tmp_path / "state" / "deliveries.json"
    args = command(loaded, folder, "--every", "month", "--once", "--format", "json", "--deliver", hook.url,
                   "--ledger", str(ledger), "--deliver-token", "hook-secret")
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    period = last_closed("month", world.AT, grace=86_400)
    name = f"review-customer-initech-{period}.json"
    [posted] = hook.received
    body = posted.body
    digest = json.loads(body)["content_hash"]
    assert canonical_hash(body) == digest
    assert body == asyncio.run(served(loaded, folder, period, "json"))
    assert posted.path == "/hooks/packs"
    assert {k: posted.headers.get(k) for k in ("content-type", "pledge-content-hash", "idempotency-key",
                                               "pledge-period", "pledge-scope", "authorization",
                                               "pledge-restates")} == {
        "content-type": "application/json", "pledge-content-hash": digest, "idempotency-key": digest,
        "pledge-period": period, "pledge-scope": "customer=initech", "authorization": "Bearer hook-secret",
        "pledge-restates": None}
    assert posted.headers["content-disposition"] == f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    assert f"posted {name} to {hook.url} (200)" in first.output
    [entry] = ledger_entries(ledger)
    assert {k: entry[k] for k in ("url", "scope", "period", "format", "content_hash", "status")} == {
        "url": hook.url, "scope": "customer=initech", "period": period, "format": "json", "content_hash": digest,
        "status": 200}
    assert [p.name for p in ledger.parent.iterdir()] == ["deliveries.json"]  # no temporary file left
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and f"{name} already delivered to {hook.url}, unchanged" in again.output, again.output
    assert len(hook.received) == 1 and len(ledger_entries(ledger)) == 1


def test_failed_webhook_delivery_counts_for_nothing_until_one_succeeds(tmp_path: Path, loaded: World, hook: Hook,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """No --ledger: the default one under $XDG_STATE_HOME; the token from PLEDGE_DELIVER_TOKEN."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PLEDGE_DELIVER_TOKEN", "from-env")
    ledger = tmp_path / "xdg" / "pledge" / "review-deliveries.json"
    folder = sla_folder(tmp_path)
    args = command(loaded, folder, "--every", "month", "--once", "--format", "csv", "--deliver", hook.url)
    hook.statuses = [500]
    failed = CliRunner().invoke(main, args)
    assert failed.exit_code == 1, failed.output
    assert f"POST {hook.url} answered 500 Internal Server Error: boom" in failed.stderr, failed.output
    assert not ledger.exists()
    unreachable = "http://127.0.0.1:9/hooks"  # the discard port: nothing listens
    refused = CliRunner().invoke(main, [*args[:-1], unreachable])
    assert refused.exit_code == 1 and f"POST {unreachable} failed: ConnectError" in refused.stderr, refused.output
    assert not ledger.exists()
    later = CliRunner().invoke(main, args)
    assert later.exit_code == 0, later.output
    first, second = hook.received
    assert first.body == second.body and second.headers["content-type"] == "text/csv; charset=utf-8"
    assert second.headers["authorization"] == "Bearer from-env"
    digest = second.headers["pledge-content-hash"]
    assert digest in second.body.decode("utf-8").splitlines()[1]  # the hash is on every CSV line
    assert [e["content_hash"] for e in ledger_entries(ledger)] == [digest]


def test_a_restated_pack_is_posted_once_naming_the_hash_it_restates(tmp_path: Path, loaded: World,
                                                                    hook: Hook) -> None:
    """The ledger holds an earlier hash for the same URL, scope, period and format: the period was
    restated since. Another URL, or another format, of the same period does not count."""
    period, earlier = last_closed("month", world.AT, grace=86_400), "0" * 64
    ledger = tmp_path / "deliveries.json"
    key = {"scope": "customer=initech", "period": period, "status": 200, "delivered_at": "2026-01-01T00:00:00Z"}
    ledger.write_text(json.dumps({"version": 1, "deliveries": [
        {"url": hook.url, "format": "json", "content_hash": earlier, **key},
        {"url": "https://elsewhere.example/hook", "format": "json", "content_hash": "1" * 64, **key},
        {"url": hook.url, "format": "csv", "content_hash": "2" * 64, **key}]}))
    args = command(loaded, sla_folder(tmp_path), "--every", "month", "--once", "--format", "json",
                   "--deliver", hook.url, "--ledger", str(ledger))
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and f"restating {earlier}" in result.output, result.output
    [posted] = hook.received
    assert posted.headers["pledge-restates"] == earlier and "authorization" not in posted.headers
    assert [e["content_hash"] for e in ledger_entries(ledger)][-1] == posted.headers["pledge-content-hash"]
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "already delivered" in again.output and len(hook.received) == 1


@pytest.mark.parametrize(("args", "words"), [
    (["review", "--period", "2026-11"], "give the pack's scope: --customer, --service, --owner or --selector"),
    (["review", "--customer", "acme"], "give --period (e.g. 2026-11), or --every"),
    (["review", "--customer", "acme", "--period", "2026-13"], '--period: expected a month "2026-10"'),
    (["review", "--customer", "acme", "--every", "month"], "--every takes --deliver DIR|URL"),
    (["review", "--customer", "acme", "--every", "month", "--deliver", "ftp://example/packs"],
     "--deliver: a folder, or an http:// or https:// URL"),
    (["review", "--customer", "acme", "--every", "month", "--deliver", "packs", "--ledger", "l.json"],
     "--ledger and --deliver-token go with a webhook URL"),
    (["review", "--customer", "acme", "--period", "2026-11", "--api", "http://127.0.0.1:9"], "--api needs --token"),
])
def test_usage_errors_say_what_to_give(args: list[str], words: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLEDGE_TOKEN", raising=False)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and words in result.output, result.output
