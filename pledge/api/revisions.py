"""GET /v1/slas/{ns}/{name}/revisions and .../revisions/{n}: the SLA's record of accepted definitions
(pledge.sla.revisions), from git for a directory of SLA files, the current definition alone (flagged)
from other sources. Who may see an SLA may see its revisions; anyone else gets the same 404 as the
SLA's detail route."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import Field

from pledge.api.auth import Caller
from pledge.api.deps import find_sla
from pledge.api.models import Out
from pledge.api.problems import PROBLEM_RESPONSES
from pledge.api.sources import history_of
from pledge.api.state import ApiState, api_state
from pledge.git_history import GitError
from pledge.sla import ServiceLevelAgreement
from pledge.sla.revisions import History, Kind, Revision, between

router = APIRouter(prefix="/v1", responses={**PROBLEM_RESPONSES, 404: {**PROBLEM_RESPONSES[422], "description": "Not Found"},
                                            500: {**PROBLEM_RESPONSES[422], "description": "Internal Server Error"}})


class RevisionOut(Out):
    number: int = Field(description="1-based, per SLA; never rewritten", examples=[2])
    sha256: str = Field(description="hash of the canonical accepted spec (sorted-keys JSON, defaults left out)")
    accepted_at: dt.datetime | None = Field(description="when it was accepted (a commit's time); null: unknown, "
                                                        "the current definition of an SLA without history")
    author: str | None = Field(description="who made it, where that can be known (git: name <email>)")
    tool: str | None = Field(description='"git", or the Kubernetes field manager', examples=["git"])
    reason: str | None = Field(description="why (the commit message's first line)", examples=["raise target to 99.95"])
    commit: str | None = Field(description="the git commit")
    uncommitted: bool = Field(description="a change in the work tree, not committed yet")
    kind: Kind = Field(description="created; budget-critical (targets, window, credits, credit cap, exclusions, "
                                   "corrections, objectives added or removed); sli (what is measured); cosmetic")
    changes: list[str] = Field(description="the paths changed since the previous revision",
                               examples=[["objectives[availability].target"]])
    changes_text: list[str] = Field(description="the same in words", examples=[["objectives[availability].target: 99.9 -> 99.95"]])
    diff: list[dict[str, Any]] = Field(description="RFC 6902 JSON patch from the previous revision's spec to this one's",
                                       examples=[[{"op": "replace", "path": "/objectives/0/target", "value": "99.95"}]])


class RevisionDetail(RevisionOut):
    spec: dict[str, Any] = Field(description="the full accepted spec, as the SLA model writes it (camelCase)")


class Revisions(Out):
    namespace: str
    name: str
    history_known: bool = Field(description="false: no history can be read, the current definition is the only one known")
    note: str | None = Field(description='why there is no history, e.g. "no history: the current definition is the only one known"')
    notes: list[str] = Field(description="versions that could not be read (a commit whose file was not a valid SLA)")
    current: int = Field(description="the number of the newest revision")
    revisions: list[RevisionOut] = Field(description="oldest first, without their specs (GET .../revisions/{n})")


def _out(history: History, revision: Revision) -> dict[str, Any]:
    changed = between(history.revisions, revision.number)
    return {"number": revision.number, "sha256": revision.sha256, "accepted_at": revision.accepted_at,
            "author": revision.author, "tool": revision.tool, "reason": revision.reason, "commit": revision.commit,
            "uncommitted": revision.uncommitted, "kind": revision.kind, "changes": list(revision.changes),
            "changes_text": list(changed.lines), "diff": changed.patch}


async def read_history(api: ApiState, sla: ServiceLevelAgreement) -> History:
    """The SLA's revisions, read in a thread (git runs, or the Kubernetes API is asked); a problem if not."""
    try:
        return await asyncio.to_thread(history_of, api.source, sla)
    except (GitError, OSError) as exc:
        raise HTTPException(500, f"the revisions of {sla.ref} could not be read: {exc}") from None


async def _history(request: Request, caller: Caller, namespace: str, name: str) -> History:
    api = api_state(request)
    return await read_history(api, await find_sla(api, caller, namespace, name, api.clock()))


@router.get("/slas/{namespace}/{name}/revisions", response_model=Revisions,
            summary="The SLA's revisions, oldest first, each with its diff from the one before")
async def list_revisions(request: Request, caller: Caller, namespace: str, name: str) -> Revisions:
    history = await _history(request, caller, namespace, name)
    return Revisions(namespace=namespace, name=name, history_known=history.known, note=history.note,
                     notes=list(history.notes), current=history.current.number,
                     revisions=[RevisionOut(**_out(history, r)) for r in history.revisions])


@router.get("/slas/{namespace}/{name}/revisions/{number}", response_model=RevisionDetail,
            summary="One revision of the SLA with its full accepted spec")
async def get_revision(request: Request, caller: Caller, namespace: str, name: str,
                       number: int = Path(ge=1, description="the revision's number, from 1")) -> RevisionDetail:
    history = await _history(request, caller, namespace, name)
    revision = history.number(number)
    if revision is None:
        raise HTTPException(404, f"{namespace}/{name} has no revision {number} (revisions 1 to {history.current.number})")
    return RevisionDetail(**_out(history, revision), spec=revision.spec)
