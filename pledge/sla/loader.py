"""YAML text -> validated SLAs. Multi-document files are allowed; errors carry the source name."""

from __future__ import annotations

from typing import Any

import yaml

from pledge.sla.errors import SpecError
from pledge.sla.model import ServiceLevelAgreement, parse_sla


def parse_yaml(text: str, source: str = "") -> list[ServiceLevelAgreement]:
    """Every SLA document in ``text``; SpecError lists every fault of every document at once."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise SpecError([f"(document): not valid YAML: {exc}"], source) from None
    slas: list[ServiceLevelAgreement] = []
    problems: list[str] = []
    for index, document in enumerate(documents):
        label = f"document {index + 1}: " if len(documents) > 1 else ""
        try:
            slas.append(_parse_document(document))
        except SpecError as exc:
            problems.extend(label + p for p in exc.problems)
    if problems:
        raise SpecError(problems, source)
    if not slas:
        raise SpecError(["(document): the file holds no SLA"], source)
    return slas


def _parse_document(document: Any) -> ServiceLevelAgreement:
    if not isinstance(document, dict):
        raise SpecError([f"(document): expected a mapping with apiVersion, kind, metadata and spec, got {type(document).__name__}"])
    return parse_sla(document)
