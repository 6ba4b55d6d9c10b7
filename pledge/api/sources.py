"""Where the API gets SLA definitions: a protocol, so a Kubernetes list+watch source (the one the
operator uses) can replace the directory source without touching the routes."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Protocol

from pledge.spec import ServiceLevelAgreement, SpecError, parse_yaml

YAML_SUFFIXES = (".yaml", ".yml")


class SLASource(Protocol):
    """Started once with the app; ``slas()`` is called per request and must not block."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def slas(self) -> list[ServiceLevelAgreement]: ...


class StaticSource:
    """A fixed list (tests, the demo)."""

    def __init__(self, slas: Iterable[ServiceLevelAgreement]) -> None:
        self._slas = list(slas)

    async def start(self) -> None:
        """Nothing to load."""

    async def stop(self) -> None:
        """Nothing to release."""

    def slas(self) -> list[ServiceLevelAgreement]:
        return self._slas


def packaged_examples() -> Traversable:
    return resources.files("pledge") / "examples"


def read_directory(folder: Traversable | Path) -> list[ServiceLevelAgreement]:
    """Every SLA in the folder's YAML files (sorted, not recursive); all problems at once."""
    slas: list[ServiceLevelAgreement] = []
    problems: list[str] = []
    for file in sorted((f for f in folder.iterdir() if f.name.endswith(YAML_SUFFIXES)), key=lambda f: f.name):
        try:
            slas.extend(parse_yaml(file.read_text(encoding="utf-8"), file.name))
        except SpecError as exc:
            problems.append(str(exc))
    if problems:
        raise SpecError(problems, str(folder))
    return slas


class DirectorySource(StaticSource):
    """The YAML files of one directory, read at start-up (default: the packaged examples)."""

    def __init__(self, folder: Path | None = None) -> None:
        super().__init__([])
        self.folder: Traversable | Path = folder if folder is not None else packaged_examples()

    async def start(self) -> None:
        self._slas = read_directory(self.folder)
