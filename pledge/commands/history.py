"""`pledge history`: the revisions of SLA files, read from git (pledge.git_history)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pledge.commands.common import report
from pledge.git_history import GitError, histories
from pledge.sla.revisions import History, Revision, between

DATE = "%Y-%m-%d %H:%M"


@click.command(epilog="""\b
Exit codes:
  0  the revisions were printed
  1  a file has problems, git failed, or --sla names no SLA in the files
  2  usage error""")
@click.argument("paths", metavar="FILE_OR_DIR...", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--sla", "wanted", metavar="NAME", help="Only this SLA: its name, or namespace/name.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: one object per SLA with its revisions, each with its spec, JSON patch and readable changes.")
def history(paths: tuple[Path, ...], wanted: str | None, output_format: str) -> None:
    """The revisions of the SLAs in the files: every committed version from git, and an uncommitted
    change of the work tree last.

    Each revision has its number, when it was accepted (the commit's time), who made it, its kind
    (created, budget-critical: target, window, credits, exclusions, corrections; sli: what is
    measured; cosmetic) and the commit message. Without git the current definition is the only one
    known, and the output says so.
    """
    try:
        found, errors = histories(paths)
    except GitError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)
    if errors:
        report(errors)
        sys.exit(1)
    if wanted is not None:
        found = [h for h in found if wanted in (h.ref.name, str(h.ref))]
        if not found:
            click.secho(f"error: --sla {wanted}: no such SLA in {', '.join(map(str, paths))}", fg="red", err=True)
            sys.exit(1)
    if output_format == "json":
        click.echo(json.dumps([history_json(h) for h in found], indent=2))
        return
    console = Console(width=max(Console().width, 160))
    for each in found:
        console.print(table(each))
        for line in [each.note, *each.notes]:
            if line:
                console.print(f"note: {line}", style="yellow", markup=False, highlight=False)


def table(each: History) -> Table:
    title = f"{each.ref}" + (f"  ({each.source})" if each.source else "")
    grid = Table(title=Text(title), title_justify="left")
    for name in ("#", "date (UTC)", "author", "kind", "reason", "changes"):
        grid.add_column(name, justify="right" if name == "#" else "left", overflow="fold")
    for revision in each.revisions:
        changes = "\n".join(between(each.revisions, revision.number).lines) or "-"
        cells = (str(revision.number), _date(revision), revision.author or "-", revision.kind, revision.reason or "-",
                 changes)
        grid.add_row(*(Text(cell) for cell in cells))  # text as written: "[availability]" is no markup
    return grid


def _date(revision: Revision) -> str:
    if revision.accepted_at is None:
        return "unknown"
    return revision.accepted_at.strftime(DATE) + (" (uncommitted)" if revision.uncommitted else "")


def history_json(each: History) -> dict[str, Any]:
    return {"namespace": each.ref.namespace, "name": each.ref.name, "source": each.source,
            "history_known": each.known, "note": each.note, "notes": list(each.notes),
            "revisions": [revision_json(each, r) for r in each.revisions]}


def revision_json(each: History, revision: Revision) -> dict[str, Any]:
    changed = between(each.revisions, revision.number)
    return {"number": revision.number, "sha256": revision.sha256,
            "accepted_at": revision.accepted_at.isoformat().replace("+00:00", "Z") if revision.accepted_at else None,
            "author": revision.author, "tool": revision.tool, "reason": revision.reason, "commit": revision.commit,
            "uncommitted": revision.uncommitted, "kind": revision.kind, "changes": list(revision.changes),
            "changes_text": list(changed.lines), "diff": changed.patch, "spec": revision.spec}
