"""What a command line names, SLA files and moments: read here once for `pledge` and its lazily
loaded commands, so those commands never import the top-level CLI."""

from __future__ import annotations

from pathlib import Path

import click

from pledge.clock import parse_moment
from pledge.spec import ServiceLevelAgreement, SpecError, parse_yaml

YAML_SUFFIXES = (".yaml", ".yml")


def expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given, directories as their YAML files (sorted, not recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES))
        else:
            files.append(path)
    return files


def load(paths: tuple[Path, ...]) -> tuple[list[ServiceLevelAgreement], list[SpecError]]:
    """Every SLA in ``paths``; problems are collected per file so one bad file hides no other."""
    slas: list[ServiceLevelAgreement] = []
    errors: list[SpecError] = []
    for path in expand(paths):
        try:
            slas.extend(parse_yaml(path.read_text(encoding="utf-8"), str(path)))
        except SpecError as exc:
            errors.append(exc)
        except OSError as exc:
            errors.append(SpecError([f"(file): cannot read: {exc.strerror}"], str(path)))
    return slas, errors


def report(errors: list[SpecError]) -> None:
    for error in errors:
        click.secho(str(error), fg="red", err=True)


class Moment(click.ParamType[float]):
    """``--at``: RFC 3339 with an offset or unix seconds, as unix seconds."""

    name = "moment"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_moment(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


AT_HELP = "The moment to describe (RFC 3339 with an offset, or unix seconds); default now."
