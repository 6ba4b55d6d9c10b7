"""Bearer tokens, stored as SHA-256 hashes, with scopes ``read:all`` or ``customer:<name>``.

Tokens are long random strings, so one unsalted SHA-256 is enough at rest (nothing to brute-force);
a customer scope narrows every answer to that customer's SLAs and groups: other customers' data is
never fetched into a response.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import yaml
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from pledge.sla import ServiceLevelAgreement
from pledge.sla.loader import error_text

READ_ALL = "read:all"
CUSTOMER = "customer:"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="pledge"'}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class TokenEntry(BaseModel):
    """One line of the tokens file: never the token itself, only its hash."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[str] = Field(min_length=1)

    @classmethod
    def from_token(cls, name: str, token: str, scopes: Iterable[str]) -> TokenEntry:
        return cls(name=name, sha256=hash_token(token), scopes=list(scopes))


class TokensFile(BaseModel):
    tokens: list[TokenEntry]


@dataclass(frozen=True)
class Principal:
    """Who is asking and what they may see."""

    name: str
    everything: bool
    customers: frozenset[str]

    @property
    def scope(self) -> tuple[bool, frozenset[str]]:
        """What decides the answers this caller gets (two tokens of the same scope get the same)."""
        return self.everything, self.customers

    def owns(self, sla: ServiceLevelAgreement) -> bool:
        """Sees the whole SLA: read:all, or the SLA's own customer."""
        return self.everything or sla.spec.customer in self.customers

    def sees_sla(self, sla: ServiceLevelAgreement) -> bool:
        """May see some of it: a customer-grouped SLA shows that customer's groups, if it has any."""
        return self.owns(sla) or "customer" in sla.spec.grouping

    def sees_group(self, sla: ServiceLevelAgreement, group: dict[str, str]) -> bool:
        return self.owns(sla) or group.get("customer") in self.customers

    def matchers(self, sla: ServiceLevelAgreement) -> dict[str, str]:
        """A customer matcher for PromQL when one customer's groups are wanted (value escaped later)."""
        if self.owns(sla) or len(self.customers) != 1:
            return {}
        return {"customer": next(iter(self.customers))} if "customer" in sla.spec.grouping else {}


def principal(entry: TokenEntry) -> Principal:
    customers = frozenset(s[len(CUSTOMER):] for s in entry.scopes if s.startswith(CUSTOMER))
    return Principal(entry.name, READ_ALL in entry.scopes, customers)


def parse_tokens(text: str) -> list[TokenEntry]:
    """The tokens file's entries (also the format of the key in a tokens Secret); malformed YAML is
    a ValueError, so a Secret follower keeps the last good tokens and retries."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"tokens.yaml: not valid YAML: {error_text(exc, text)}") from None
    return TokensFile.model_validate(document).tokens


class TokenStore:
    def __init__(self, entries: Iterable[TokenEntry]) -> None:
        self.replace(entries)

    @classmethod
    def from_file(cls, path: Path) -> TokenStore:
        return cls(parse_tokens(path.read_text(encoding="utf-8")))

    def replace(self, entries: Iterable[TokenEntry]) -> None:
        """Swap in a new set of tokens at once (a changed Secret); requests never see half of it."""
        self._by_hash = {e.sha256: principal(e) for e in entries}

    def find(self, token: str) -> Principal | None:
        return self._by_hash.get(hash_token(token))


_bearer = HTTPBearer(auto_error=False, description="a token from the tokens file (stored there as its SHA-256)")


async def authenticate(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """401 without a known token, 403 for a token without a usable scope.

    Async although it never waits: FastAPI runs a plain function in a worker thread, and that
    hand-over cost more than the whole check."""
    store: TokenStore = request.app.state.api.tokens
    found = store.find(credentials.credentials) if credentials is not None else None
    if found is None:
        raise HTTPException(401, "a valid bearer token is required (Authorization: Bearer <token>)", headers=CHALLENGE)
    if not found.everything and not found.customers:
        raise HTTPException(403, f'token "{found.name}" has no read:all or customer:<name> scope')
    return found


Caller = Annotated[Principal, Depends(authenticate)]
