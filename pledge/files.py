"""What a command line names, SLA files and moments: read here once for `pledge`, its lazily loaded
commands (so those never import the top-level CLI) and the API's directory source, so a directory of
SLAs means the same everywhere."""

from __future__ import annotations

from importlib.resources.abc import Traversable
from pathlib import Path

import click

from pledge.clock import parse_moment
from pledge.sla import ServiceLevelAgreement, SpecError, parse_yaml

YAML_SUFFIXES = (".yaml", ".yml")


def yaml_files(folder: Traversable) -> list[Traversable]:
    """A folder's YAML files, sorted by name, not recursive (a folder may be packaged data)."""
    return sorted((f for f in folder.iterdir() if f.name.endswith(YAML_SUFFIXES)), key=lambda f: f.name)


def read_slas(file: Traversable, source: str) -> list[ServiceLevelAgreement]:
    """One file's SLAs; an unreadable file is a SpecError too, so callers collect one kind of problem."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError([f"(file): cannot read: {exc.strerror}"], source) from None
    return parse_yaml(text, source)


def expand(paths: tuple[Path, ...]) -> list[Traversable]:
    """Files as given, directories as their YAML files."""
    return [file for path in paths for file in (yaml_files(path) if path.is_dir() else [path])]


def load(paths: tuple[Path, ...]) -> tuple[list[ServiceLevelAgreement], list[SpecError]]:
    """Every SLA in ``paths``; problems are collected per file so one bad file hides no other."""
    slas: list[ServiceLevelAgreement] = []
    errors: list[SpecError] = []
    for path in expand(paths):
        try:
            slas.extend(read_slas(path, str(path)))
        except SpecError as exc:
            errors.append(exc)
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
