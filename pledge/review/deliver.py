"""Review packs delivered to a webhook (`pledge review --every ... --deliver https://...`): one POST per
pack, and a ledger of what was delivered where, so a rerun posts nothing again and a restated pack is
posted once more, naming the hash it restates. A delivery counts (is written to the ledger) only once the
webhook answered 2xx."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

from pledge.clock import Clock, rfc3339

TIMEOUT = 60.0
LEDGER_VERSION = 1


def is_webhook(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def default_ledger() -> Path:
    """``$XDG_STATE_HOME/pledge/review-deliveries.json`` (``~/.local/state/...`` without XDG_STATE_HOME)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "pledge" / "review-deliveries.json"


def shown(url: str) -> str:
    """The URL for messages: a password in it is left out."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


@dataclass(frozen=True)
class Pack:
    """One pack to post, and what the ledger knows it by: (URL, scope, period, format, content hash)."""
    scope: dict[str, str]
    period: str
    output_format: str
    filename: str
    body: bytes
    content_type: str
    content_hash: str

    @property
    def scope_text(self) -> str:
        """``customer=acme``; several keys joined with ``&``, values percent-encoded (``/`` kept) as in a query."""
        return urlencode(self.scope, safe="/")


class DeliveryError(Exception):
    """The webhook did not take the pack (no answer, or not 2xx), or the ledger cannot be read or written."""


def headers(pack: Pack, token: str | None, restates: str | None) -> dict[str, str]:
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", pack.filename)
    sent = {
        "Content-Type": pack.content_type,
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(pack.filename)}",
        "Pledge-Content-Hash": pack.content_hash,
        "Idempotency-Key": pack.content_hash,
        "Pledge-Period": pack.period,
        "Pledge-Scope": pack.scope_text,
        "User-Agent": "pledge-review",
    }
    if restates is not None:
        sent["Pledge-Restates"] = restates
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return sent


async def post(client: httpx.AsyncClient, url: str, pack: Pack, token: str | None, restates: str | None) -> int:
    """POST the pack; its status when 2xx, else DeliveryError naming the URL and the status (or the failure)."""
    try:
        answer = await client.post(url, content=pack.body, headers=headers(pack, token, restates))
    except httpx.HTTPError as exc:
        raise DeliveryError(f"POST {shown(url)} failed: {type(exc).__name__}: {exc}") from exc
    if not answer.is_success:
        text = " ".join(answer.text.split())[:200]
        raise DeliveryError(f"POST {shown(url)} answered {answer.status_code} {answer.reason_phrase}"
                            + (f": {text}" if text else ""))
    return answer.status_code


class Ledger:
    """What was delivered where: a JSON file ``{"version": 1, "deliveries": [{"url", "scope", "period",
    "format", "content_hash", "status", "delivered_at"}, ...]}``, in delivery order. It is rewritten whole
    (a temporary file renamed over it) after each 2xx answer; one ledger serves one command at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _entries(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"the ledger {self.path} cannot be read: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("deliveries"), list):
            raise DeliveryError(f"the ledger {self.path} is not a pledge review ledger")
        entries: list[dict[str, Any]] = data["deliveries"]
        return entries

    def hashes(self, url: str, pack: Pack) -> list[str]:
        """The content hashes delivered to ``url`` for the pack's scope, period and format, oldest first."""
        return [e["content_hash"] for e in self._entries()
                if (e.get("url"), e.get("scope"), e.get("period"), e.get("format"))
                == (url, pack.scope_text, pack.period, pack.output_format)]

    def record(self, url: str, pack: Pack, status: int, at: float) -> None:
        entries = self._entries()  # read again: as fresh as can be
        entries.append({"url": url, "scope": pack.scope_text, "period": pack.period, "format": pack.output_format,
                        "content_hash": pack.content_hash, "status": status, "delivered_at": rfc3339(at)})
        text = json.dumps({"version": LEDGER_VERSION, "deliveries": entries}, indent=1, ensure_ascii=False) + "\n"
        partial = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.path)  # never half a ledger
        except OSError as exc:
            if partial is not None:
                Path(partial).unlink(missing_ok=True)
            raise DeliveryError(f"the ledger {self.path} cannot be written: {exc}") from exc


async def deliver(client: httpx.AsyncClient, url: str, ledger: Ledger, pack: Pack, token: str | None,
                  clock: Clock) -> str:
    """Post the pack unless the ledger has it; what was done, in words. DeliveryError when it did not count."""
    delivered = ledger.hashes(url, pack)
    if pack.content_hash in delivered:
        return f"{pack.filename} already delivered to {shown(url)}, unchanged"
    restates = delivered[-1] if delivered else None
    status = await post(client, url, pack, token, restates)
    ledger.record(url, pack, status, clock())
    return (f"posted {pack.filename} to {shown(url)} ({status})"
            + (f", restating {restates}" if restates else ""))
