"""`pledge review`: a review pack (issue 28) as HTML, PDF, CSV or JSON, from a running API or computed
here by the same code (the API's GET /v1/review, served in-process over the SLA files and Prometheus);
with --every, each closed period's pack delivered once when the period closes (and its grace passed): to
a folder (`publish`: each pack written once, a restated one beside it), or POSTed to a webhook
(pledge.review.deliver: a ledger file keeps what was delivered where, so a rerun posts nothing again).
Loaded by pledge.commands.main when it runs."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NoReturn

import click
import httpx

from pledge.api.app import create_app
from pledge.api.auth import TokenEntry, TokenStore
from pledge.api.server import serving
from pledge.api.settings import Settings
from pledge.api.sources import DirectorySource
from pledge.clock import Clock, fixed, rfc3339, system
from pledge.commands.common import AT_HELP, Moment
from pledge.review import deliver as webhook
from pledge.review import render
from pledge.sla import SpecError, parse_duration
from pledge.slo.periods import calendar_of, calendar_period, last_closed

FORMATS = {"html": "html", "pdf": "pdf", "csv": "csv", "json": "json"}
TIMEOUT = 300.0  # a pack of a quarter for many SLAs reads a lot; the server bounds each Prometheus call


def _fail(message: str, code: int = 1) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


@click.command(epilog="""\b
Examples:
  pledge review --customer acme --period 2026-Q4 --compare 1 -o acme-2026-Q4.pdf
  pledge review --customer acme --period 2026-11 --api https://pledge.example --token $TOKEN --format csv
  pledge review --customer acme --every month --grace 3d --deliver /srv/packs
  pledge review --customer acme --every month --grace 3d --once --format pdf \\
      --deliver https://hooks.example/packs --deliver-token $HOOK_TOKEN --ledger /var/lib/pledge/acme.json
\b
Exit codes:
  0  the pack was written (with --every: each round's packs, delivered now or before)
  1  the pack could not be built (the message says why: scope, period, Prometheus, PDF renderer),
     or with --once the webhook did not take it (no answer, or not 2xx)
  2  usage error""")
@click.option("--customer", help="The pack of one customer.")
@click.option("--service", help="The pack of one service.")
@click.option("--owner", help="The pack of one owning team.")
@click.option("-l", "--selector", help="The pack of the SLAs whose labels match, as kubectl -l: 'team=billing,tier!=bronze'.")
@click.option("--period", help="2026-11, 2026-Q4 or 2026-W48, in each SLA's time zone (not with --every).")
@click.option("--compare", type=click.IntRange(0, 12), default=0, show_default=True,
              help="Earlier periods of the same length to compare each figure with.")
@click.option("--format", "output_format", type=click.Choice(list(FORMATS)), default="html", show_default=True,
              help="pdf needs Chromium (apt-get install chromium).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; default: standard output (html, csv, json), review-<scope>-<period>.pdf for pdf.")
@click.option("--api", "api_url", metavar="URL", help="A running pledge API to ask; default: compute here.")
@click.option("--token", envvar="PLEDGE_TOKEN", help="With --api: a bearer token [env PLEDGE_TOKEN].")
@click.option("--prometheus-url", default="http://127.0.0.1:9090", show_default=True,
              help="Without --api: the Prometheus the figures come from.")
@click.option("--sla-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Without --api: the SLA files (default: the packaged examples).")
@click.option("--at", type=Moment(), help=AT_HELP)
@click.option("--every", type=click.Choice(["week", "month", "quarter"]),
              help="Deliver each closed period's pack, once, as periods close (with --deliver); runs until "
                   "stopped, or one round with --once.")
@click.option("--grace", default="1d", show_default=True,
              help="With --every: wait this long after a period closes (late data; periods are counted in UTC, so "
                   "at least a day covers every SLA's time zone), e.g. 3d.")
@click.option("--deliver", metavar="DIR|URL",
              help="With --every: the folder packs are written to (created if missing; each pack once, with a "
                   "<name>.content-hash beside it), or an http(s):// webhook each pack is POSTed to once "
                   "(headers Pledge-Content-Hash, Idempotency-Key, Pledge-Period, Pledge-Scope, "
                   "Content-Disposition; Pledge-Restates: the earlier hash, for a restated pack).")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              help="With a webhook --deliver: the JSON file of what was delivered where (URL, scope, period, "
                   "format, content hash), written after each 2xx answer; a pack in it is not posted again. "
                   "Default: $XDG_STATE_HOME/pledge/review-deliveries.json (~/.local/state/pledge/... without "
                   "XDG_STATE_HOME); keep it on storage that outlives the job.")
@click.option("--deliver-token", envvar="PLEDGE_DELIVER_TOKEN",
              help="With a webhook --deliver: sent as Authorization: Bearer [env PLEDGE_DELIVER_TOKEN].")
@click.option("--once", is_flag=True, help="With --every: one round (the latest closed period), then exit: for cron.")
def review(customer: str | None, service: str | None, owner: str | None, selector: str | None, period: str | None,
           compare: int,
           output_format: str, output: Path | None, api_url: str | None, token: str | None, prometheus_url: str,
           sla_dir: Path | None, at: float | None, every: str | None, grace: str, deliver: str | None,
           ledger: Path | None, deliver_token: str | None, once: bool) -> None:
    """A review pack: per SLA, objective and group of the scope, the terms in force, attainment, budget
    used, breaches and when, incidents, maintenance and corrections with their reasons, credits, and the
    change against earlier periods; a summary on top. Every pack carries a content hash and the moment
    its figures are as of, so a signed copy can be checked later."""
    scope = {k: v for k, v in (("customer", customer), ("service", service), ("owner", owner), ("selector", selector))
             if v}
    if not scope:
        _fail("give the pack's scope: --customer, --service, --owner or --selector", 2)
    if api_url is not None and not token:
        _fail("--api needs --token (or PLEDGE_TOKEN)", 2)
    try:
        grace_seconds = parse_duration(grace)
    except ValueError as exc:
        _fail(f"--grace: {exc}", 2)
    if every is not None:
        if deliver is None or period is not None or output is not None:
            _fail("--every takes --deliver DIR|URL and neither --period nor -o", 2)
        target = _target(deliver, ledger, deliver_token)
        clock = system if at is None else fixed(at)
        failed = asyncio.run(_deliver_forever(scope, every, grace_seconds, compare, output_format, target, once,
                                              clock, api_url, token, prometheus_url, sla_dir))
        if failed:
            sys.exit(1)
        return
    if period is None:
        _fail("give --period (e.g. 2026-11), or --every to deliver each period as it closes", 2)
    try:
        calendar_of(period)
    except ValueError as exc:
        _fail(f"--period: {exc}", 2)
    body = asyncio.run(_fetch_one(scope, period, compare, output_format, at, api_url, token, prometheus_url, sla_dir))
    if output is None and output_format == "pdf":
        output = Path(render.filename(scope, period, "pdf"))
    if output is None:
        click.echo(body.decode("utf-8"), nl=False)
    else:
        output.write_bytes(body)
        click.echo(f"wrote {output} ({len(body):,} bytes)", err=True)


class _Webhook:
    """Where --deliver URL posts to: the URL, its ledger and its bearer token."""

    def __init__(self, url: str, ledger: Path, token: str | None) -> None:
        self.url, self.ledger, self.token = url, webhook.Ledger(ledger), token


def _target(deliver: str, ledger: Path | None, deliver_token: str | None) -> Path | _Webhook:
    """--deliver as a folder or a webhook, with the options that go with each."""
    if webhook.is_webhook(deliver):
        return _Webhook(deliver, ledger or webhook.default_ledger(), deliver_token)
    if "://" in deliver:
        _fail("--deliver: a folder, or an http:// or https:// URL", 2)
    given = click.get_current_context().get_parameter_source("deliver_token")
    if ledger is not None or given == click.core.ParameterSource.COMMANDLINE:
        _fail("--ledger and --deliver-token go with a webhook URL (--deliver https://...), not a folder", 2)
    folder = Path(deliver)
    if folder.exists() and not folder.is_dir():
        _fail(f"--deliver: {folder} is a file, not a folder", 2)
    return folder


@asynccontextmanager
async def _api(api_url: str | None, token: str | None, prometheus_url: str, sla_dir: Path | None,
               clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API that builds packs: the one given, or this code's own served in-process."""
    if api_url is not None:
        async with httpx.AsyncClient(base_url=api_url, headers={"Authorization": f"Bearer {token}"},
                                     timeout=TIMEOUT) as client:
            yield client
        return
    source = DirectorySource(sla_dir)
    try:
        source.read()
    except SpecError as exc:
        _fail(str(exc))
    own = secrets.token_urlsafe(32)  # this process's own token, never written anywhere
    tokens = TokenStore([TokenEntry.from_token("pledge-review", own, ["read:all"])])
    app = create_app(source, tokens, Settings(prometheus_url=prometheus_url, snapshot_seconds=0), clock=clock)
    async with serving(app) as url, httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {own}"},
                                                      timeout=TIMEOUT) as client:
        await source.validated()
        yield client


async def _get(client: httpx.AsyncClient, scope: dict[str, str], period: str, compare: int, output_format: str,
               at: float | None) -> httpx.Response:
    params: dict[str, str | int] = {**scope, "period": period, "compare": compare, "format": FORMATS[output_format]}
    if at is not None:
        params["at"] = rfc3339(at)
    try:
        answer = await client.get("/v1/review", params=params)
    except httpx.HTTPError as exc:
        _fail(f"the pack could not be asked for: {exc}")
    if answer.status_code != 200:
        try:
            detail = answer.json().get("detail", answer.text)
        except ValueError:
            detail = answer.text
        _fail(f"no pack ({answer.status_code}): {detail}")
    return answer


async def _fetch_one(scope: dict[str, str], period: str, compare: int, output_format: str, at: float | None,
                     api_url: str | None, token: str | None, prometheus_url: str, sla_dir: Path | None) -> bytes:
    clock = system if at is None else fixed(at)
    async with _api(api_url, token, prometheus_url, sla_dir, clock) as client:
        click.echo(f"building the {period} pack of {render.scope_text(scope)}…", err=True)
        return (await _get(client, scope, period, compare, output_format, at)).content


def publish(folder: Path, name: str, body: bytes, digest: str) -> Path | None:
    """Write a pack once, with its content hash beside it (``<name>.content-hash``: the pack's content hash, not a checksum of the file): an existing pack is never
    changed. The same content again (the hash, not the bytes: a PDF's bytes carry their creation time):
    nothing to do (None); other content (a restatement since): written beside it, named by its hash, once."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        if _digest_of(target) == digest:
            return None
        stem, dot, ext = name.rpartition(".")
        target = folder / f"{stem}-restated-{digest[:12]}{dot}{ext}"
        if target.exists():
            return None
    for path, data in ((_sidecar(target), f"{digest}\n".encode()), (target, body)):  # the pack last: it marks "done"
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data)
        partial.replace(path)  # never half a file under the published name
    return target


def _sidecar(path: Path) -> Path:
    return path.with_name(f"{path.name}.content-hash")


def _digest_of(path: Path) -> str | None:
    try:
        return _sidecar(path).read_text(encoding="utf-8").strip()
    except OSError:
        return None


async def _deliver_forever(scope: dict[str, str], every: str, grace: float, compare: int, output_format: str,
                           target: Path | _Webhook, once: bool, clock: Clock, api_url: str | None,
                           token: str | None, prometheus_url: str, sla_dir: Path | None) -> list[str]:
    """Each round: the latest closed period's pack, and again any a webhook did not take the round before.
    With --once, the periods whose delivery failed (the webhook's; a pack that cannot be built exits 1)."""
    pending: list[str] = []
    async with (_api(api_url, token, prometheus_url, sla_dir, clock) as client,
                httpx.AsyncClient(timeout=webhook.TIMEOUT) as hooks):
        while True:
            latest = last_closed(every, clock(), grace)
            pending = [period for period in dict.fromkeys([*pending, latest])
                       if not await _deliver_one(client, hooks, scope, period, compare, output_format, target, clock)]
            if once:
                return pending
            if pending:
                click.echo(f"retrying {', '.join(pending)} at the next round", err=True)
            await asyncio.sleep(_until_next(every, clock(), grace))


async def _deliver_one(client: httpx.AsyncClient, hooks: httpx.AsyncClient, scope: dict[str, str], period: str,
                       compare: int, output_format: str, target: Path | _Webhook, clock: Clock) -> bool:
    """One period's pack to the folder or the webhook; False when the webhook did not take it."""
    name = render.filename(scope, period, output_format)
    pack = await _get(client, scope, period, compare, "json", None)
    answer = pack if output_format == "json" else await _get(client, scope, period, compare, output_format, None)
    digest = json.loads(pack.content)["content_hash"]
    if isinstance(target, Path):
        written = publish(target, name, answer.content, digest)
        click.echo(f"{period}: " + (f"wrote {written}" if written else f"{name} already delivered, unchanged"),
                   err=True)
        return True
    delivery = webhook.Pack(scope=scope, period=period, output_format=output_format, filename=name,
                            body=answer.content, content_type=answer.headers["content-type"], content_hash=digest)
    try:
        done = await webhook.deliver(hooks, target.url, target.ledger, delivery, target.token, clock)
    except webhook.DeliveryError as exc:
        click.secho(f"error: {period}: {name} not delivered: {exc}", fg="red", err=True)
        return False
    click.echo(f"{period}: {done}", err=True)
    return True


def _until_next(every: str, now: float, grace: float) -> float:
    """Seconds until the next period has closed and its grace passed (at least a minute, at most an hour:
    checked again after, so a stopped clock or a changed grace cannot make it sleep for a month)."""
    due = calendar_period(every, "UTC", now - grace).end + grace
    return min(max(60.0, due - now), 3600.0)
