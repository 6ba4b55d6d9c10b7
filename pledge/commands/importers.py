"""`pledge import` and `pledge export openslo`: the file edge of pledge.importers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from pledge.commands.common import load, report
from pledge.files import Problem, expand, read_yaml
from pledge.importers.detect import import_documents
from pledge.importers.export import to_openslo
from pledge.importers.report import LOST, Mapping, exit_code, table
from pledge.sla import SpecError, parse_sla

EPILOG = """\b
Exit codes:
  0  every SLO maps exactly
  3  at least one SLO is approximated (the report says how); SLAs written
  1  a field was dropped or an SLO is unsupported, a file cannot be read,
     or nothing was found to import; with an unsupported SLO nothing is
     written
  2  usage error"""


def _documents(paths: tuple[Path, ...]) -> list[tuple[Any, str]]:
    documents: list[tuple[Any, str]] = []
    for path, _ in expand(paths):
        found = read_yaml(path, str(path))
        if isinstance(found, Problem):
            where = f"{found.file}:{found.line}" if found.line is not None else found.file
            click.secho(f"{where}: cannot read: {found.message}", fg="red", err=True)
            sys.exit(LOST)
        documents += [(d, f"{path}#{i + 1}" if len(found) > 1 else str(path)) for i, d in enumerate(found)]
    return documents


def _slas(mappings: list[Mapping], manifest: bool) -> dict[str, dict[str, Any]]:
    """Each SLA once, checked again by the model (merged SLOs included), as it will be written."""
    slas: dict[str, dict[str, Any]] = {}
    for mapping in mappings:
        if mapping.document is not None and mapping.key not in slas:
            parse_sla(mapping.document)
            kept = {k: v for k, v in mapping.document.items() if manifest or k not in ("apiVersion", "kind")}
            slas[str(mapping.key)] = kept
    return slas


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)


@click.command("import", epilog=EPILOG)
@click.argument("paths", metavar="FILE_OR_DIR...", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one SLA file per SLA here (namespace-name.yaml) instead of printing them.")
@click.option("--manifest", is_flag=True, help="Write ServiceLevelAgreement manifests (apiVersion and kind) "
                                               "instead of plain SLA files.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: the report on stderr; json: the report (and the SLAs) as one object on stdout.")
def import_command(paths: tuple[Path, ...], output_dir: Path | None, manifest: bool, output_format: str) -> None:
    """Import Sloth, Pyrra and OpenSLO SLOs as pledge SLAs, with a report of what mapped exactly."""
    mappings = import_documents(_documents(paths))
    try:
        slas = {} if any(m.fidelity == "unsupported" for m in mappings) else _slas(mappings, manifest)
    except SpecError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(LOST)
    if output_format == "json":
        click.echo(json.dumps({"slos": [m.as_json() for m in mappings], "slas": list(slas.values())}, indent=2))
    else:
        click.echo(table(mappings), err=True)
    _write(slas, output_dir, output_format == "text")
    sys.exit(exit_code(mappings))


def _write(slas: dict[str, dict[str, Any]], output_dir: Path | None, to_stdout: bool) -> None:
    if output_dir is None:
        if to_stdout and slas:
            click.echo("---\n".join(_dump(d) for d in slas.values()), nl=False)
        return
    output_dir.mkdir(parents=True, exist_ok=True)
    for key, document in slas.items():
        path = output_dir / f"{key.replace('/', '-')}.yaml"
        path.write_text(_dump(document), encoding="utf-8")
        click.echo(f"wrote {path}", err=True)


@click.group()
def export() -> None:
    """Export pledge SLAs to other SLO formats."""


@export.command()
@click.argument("paths", metavar="FILE_OR_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one file per SLA here (namespace-name.openslo.yaml) instead of printing them.")
def openslo(paths: tuple[Path, ...], output_dir: Path | None) -> None:
    """OpenSLO v1 (SLI, SLO, AlertPolicy); pledge's own fields ride in pledge.dev/ annotations."""
    slas, errors = load(paths)
    if errors:
        report(errors)
        sys.exit(1)
    texts = {sla.key: "---\n".join(_dump(d) for d in to_openslo(sla)) for sla in slas}
    if output_dir is None:
        click.echo("---\n".join(texts.values()), nl=False)
        return
    output_dir.mkdir(parents=True, exist_ok=True)
    for key, text in texts.items():
        path = output_dir / f"{key.replace('/', '-')}.openslo.yaml"
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}", err=True)
