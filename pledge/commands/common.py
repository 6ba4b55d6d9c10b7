"""What several commands share: reading SLA files for a command, reporting their problems, `--at`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pledge.clock import parse_moment
from pledge.files import Scan, check
from pledge.sla import ServiceLevelAgreement, SpecError


def load(paths: tuple[Path, ...]) -> tuple[list[ServiceLevelAgreement], list[SpecError]]:
    """Every SLA in ``paths``; problems are collected per file so one bad file hides no other. What a
    walk skipped is noted on stderr."""
    scan = check(paths)
    note_skipped(scan)
    return [found.sla for found in scan.slas], scan.spec_errors()


def note_skipped(scan: Scan) -> None:
    """What a walk skipped (other YAML, other SLO formats), on stderr: nothing disappears unsaid."""
    for skipped in scan.skipped:
        click.echo(f"skipped {skipped.file}: {skipped.reason}", err=True)


def report(errors: list[SpecError]) -> None:
    """Each file's problems in red on stderr."""
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


def load_or_exit(paths: tuple[Path, ...]) -> list[ServiceLevelAgreement]:
    """Every SLA in ``paths``, or the problems and exit code 1."""
    slas, errors = load(paths)
    if errors:
        report(errors)
        sys.exit(1)
    return slas
