"""YAML text -> validated SLAs. Multi-document files are allowed; errors carry the source name.

The YAML reader is stricter than PyYAML's safe loader: a key written twice in one mapping is an error
(YAML would silently keep the last), nesting is bounded (an SLA is a few levels deep; thousands would
exhaust the interpreter's stack), and text must be valid Unicode (a "\\ud800" escape is not).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import yaml
from yaml.nodes import MappingNode, Node

from pledge.sla.errors import SpecError, shown
from pledge.sla.model import ServiceLevelAgreement, parse_sla

try:
    from yaml import CSafeLoader as CSafeLoader  # also the rule check's read-back (pledge.rules.check)
except ImportError:  # PyYAML built without libyaml: ``_plain`` says no, the reference reads everything
    CSafeLoader = yaml.SafeLoader  # type: ignore[misc, assignment]

MAX_DEPTH: Final = 64
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"


class _Refused(yaml.YAMLError):
    """A document PyYAML would read but pledge refuses; the message is the whole reason."""


class _NoDuplicateKeys(yaml.constructor.SafeConstructor):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        _refuse_duplicate_keys(self, node)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)
        return mapping


class StrictLoader(_NoDuplicateKeys, yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and nesting deeper than MAX_DEPTH: the reference
    reader, whose checks and messages every file with a problem gets."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels at line {line} (an SLA needs far fewer)")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _FastLoader(_NoDuplicateKeys, CSafeLoader):
    """libyaml's parser (six times the pure-Python one: 1,000 SLA files read in 0.7 s, not 2.6 s) with
    the same constructor; given only text the checks of ``_plain`` passed."""


def _plain(text: str) -> bool:
    """Text both readers read alike: printable (the reference's check), without tabs or a byte
    order mark (libyaml allows tabs and BOMs where the reference refuses them), and nested less
    than MAX_DEPTH deep, counted on libyaml's events (no recursion: libyaml composes nodes
    recursively, in C; the reference counts the leaves too)."""
    if not yaml.__with_libyaml__ or "\t" in text or "\ufeff" in text or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return False
    depth, parser = 0, CSafeLoader(text)
    try:
        while (event := parser.get_event()) is not None and not isinstance(event, yaml.StreamEndEvent):
            depth += isinstance(event, yaml.CollectionStartEvent) - isinstance(event, yaml.CollectionEndEvent)
            if depth >= MAX_DEPTH:
                return False
    except yaml.YAMLError:
        return False
    finally:
        parser.dispose()
    return True


def read_documents(text: str) -> list[tuple[Node, Any]]:
    """Every non-empty document of a YAML stream: its node tree (for lines) and its data. libyaml
    reads what it can; text it refuses, or that is too deep, goes to StrictLoader, the reference,
    so a faulty file gets the same words either way (pledge.files reads with this too, so `pledge
    validate` reads what the API reads)."""
    if _plain(text):
        try:
            return _nodes(_FastLoader(text))
        except yaml.YAMLError:
            pass
    return _nodes(StrictLoader(text))


def _nodes(loader: StrictLoader | _FastLoader) -> list[tuple[Node, Any]]:
    found: list[tuple[Node, Any]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            data = loader.construct_document(node) if node is not None else None
            if node is not None and data is not None:
                found.append((node, data))
    finally:
        loader.dispose()
    return found


def _refuse_duplicate_keys(loader: yaml.constructor.SafeConstructor, node: MappingNode) -> None:
    """Keys written twice in one mapping; keys brought in by a merge (<<) may be overridden."""
    first_line: dict[Hashable, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            continue  # the constructor itself refuses an unhashable key
        line = key_node.start_mark.line + 1
        if key in first_line:
            lines = f"line {line}" if first_line[key] == line else f"lines {first_line[key]} and {line}"
            raise _Refused(f'duplicate key "{shown(key)}" on {lines} (YAML would keep only the last)')
        first_line[key] = line


def parse_yaml(text: str, source: str = "") -> list[ServiceLevelAgreement]:
    """Every SLA document in ``text``; SpecError lists every fault of every document at once."""
    try:
        documents = [data for _, data in read_documents(text)]
    except _Refused as exc:
        raise SpecError([f"(document): {exc}"], source) from None
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
