"""Which peer wrote a document, and the SLAs its SLOs become (merged when they name one SLA)."""

from __future__ import annotations

from typing import Any

from pledge.files import Peer, recognise
from pledge.importers.common import checked
from pledge.importers.openslo import from_openslo, index
from pledge.importers.pyrra import from_pyrra
from pledge.importers.report import Mapping
from pledge.importers.sloth import from_sloth


def peer(document: Any) -> Peer | None:
    """"sloth", "pyrra" or "openslo" for a document to import, as `pledge validate` classifies it
    (pledge.files.recognise); None for anything else."""
    foreign = recognise(document)
    return None if foreign is None else foreign.peer


def import_documents(documents: list[tuple[Any, str]]) -> list[Mapping]:
    """Every SLO of ``documents`` (each with its source name), mapped and validated."""
    objects = index([d for d, _ in documents if isinstance(d, dict) and str(d.get("apiVersion", "")).startswith("openslo/")])
    mappings: list[Mapping] = []
    for document, source in documents:
        found = peer(document)
        if found == "sloth":
            mappings += from_sloth(document, source)
        elif found == "pyrra":
            mappings += from_pyrra(document, source)
        elif found == "openslo":
            mappings += from_openslo(document, source, objects)
    return checked(merge(mappings))


def merge(mappings: list[Mapping]) -> list[Mapping]:
    """SLOs that become one SLA (pledge's OpenSLO export writes one SLO per objective) join as its
    objectives when everything else agrees; otherwise the later one is refused, naming the first."""
    first: dict[str, Mapping] = {}
    for mapping in mappings:
        if mapping.key is None or mapping.document is None:
            continue
        earlier = first.setdefault(mapping.key, mapping)
        if earlier is mapping:
            continue
        assert earlier.document is not None
        mine, theirs = dict(mapping.document["spec"]), dict(earlier.document["spec"])
        objectives = mine.pop("objectives")
        if mine != {k: v for k, v in theirs.items() if k != "objectives"}:
            mapping.note("(merge)", "unsupported", f"maps to SLA {mapping.key} as {earlier.source} does, with other settings")
            mapping.document = None
            continue
        earlier.document["spec"]["objectives"] = [*theirs["objectives"], *objectives]
        mapping.document = earlier.document
    return mappings
