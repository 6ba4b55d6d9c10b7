"""YAML text -> validated SLAs. Multi-document files are allowed; errors carry the source name.

The YAML reader is stricter than PyYAML's safe loader: a key written twice in one mapping is an error
(YAML would silently keep the last), nesting is bounded (an SLA is a few levels deep; thousands would
exhaust the interpreter's stack), and text must be valid Unicode (a "\\ud800" escape is not).

Reading is bounded, so no file can hang a reader (`pledge validate` in a pre-commit hook, the API's
directory source): a file holds at most MAX_BYTES (4 MiB: a thousand SLAs take about 1.5 MiB), and
aliases may add at most MAX_ALIAS_NODES nodes to a document. An alias shares its anchor's node, but
everything that reads the data walks every path: nine nested anchors of nine aliases each (a "billion
laughs") are a few lines of text and 387 million nodes. An alias that refers to its own anchor is
refused too. Each refusal names the line and comes in milliseconds.
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
MAX_BYTES: Final = 4 * 1024 * 1024  # characters of one file (UTF-8 bytes are at least as many)
MAX_ALIAS_NODES: Final = 10_000  # nodes that aliases may add to one document (merges, shared blocks)
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"


class _Refused(yaml.YAMLError):
    """A document PyYAML would read but pledge refuses; the message is the whole reason, ``line``
    (from 1) where it is when the message does not say."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


Refused = _Refused  # what readers outside this module catch


def error_line(exc: yaml.YAMLError, text: str) -> int | None:
    """The 1-based line a YAML error is on, when it has one."""
    if isinstance(exc, _Refused):
        return exc.line
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML forbids: a position, not a mark
        return text.count("\n", 0, exc.position) + 1
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


def error_text(exc: yaml.YAMLError, text: str, *, line: bool = True) -> str:
    """A YAML error in pledge's words: what is wrong, where (``line``: say the line too; leave it out
    when the caller names it, "file:line: ..."), and what was being read, without PyYAML's
    `in "<unicode string>"` and its copy of the line."""
    if isinstance(exc, _Refused):
        return str(exc)
    where = error_line(exc, text)
    if isinstance(exc, yaml.reader.ReaderError):
        if isinstance(exc.character, bytes):
            what = f"byte #x{exc.character[0]:02x}: {exc.reason}"
        else:
            what = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
        return f"{what} (line {where})" if line else what
    if not isinstance(exc, yaml.MarkedYAMLError):
        return str(exc)
    problem = exc.problem or exc.context or "not readable"
    mark = exc.problem_mark
    places = []
    if mark is not None:
        places.append(f"line {mark.line + 1}, column {mark.column + 1}" if line else f"column {mark.column + 1}")
    context, context_mark = exc.context, exc.context_mark
    if context and exc.problem and context_mark is not None:
        context = context.removeprefix("while ")
        places.append(f"{context} from line {context_mark.line + 1}, column {context_mark.column + 1}")
    elif context and exc.problem:
        places.append(context)
    return f"{problem} ({'; '.join(places)})" if places else problem


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
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels at line {line} (an SLA needs far fewer)", line)
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
    validate` reads what the API reads). Bounded: see the module's documentation."""
    if len(text) > MAX_BYTES:
        raise _Refused(f"the file is {len(text) / 2**20:.1f} MiB, over the {MAX_BYTES // 2**20} MiB pledge reads "
                       "in one file (split it into several: a folder of files reads the same)", 1)
    if _plain(text):
        try:
            return _nodes(_FastLoader(text), aliases="*" in text)
        except _Refused:
            raise
        except yaml.YAMLError:
            pass
    return _nodes(StrictLoader(text), aliases="*" in text)


def load_one(text: str) -> Any:
    """One YAML document's data (None for none), read as SLA files are (strict and bounded): for
    other files pledge reads (the API's tokens). More than one document is an error."""
    documents = read_documents(text)
    if len(documents) > 1:
        raise _Refused(f"{len(documents)} YAML documents where one is expected", documents[1][0].start_mark.line + 1)
    return documents[0][1] if documents else None


def _nodes(loader: StrictLoader | _FastLoader, aliases: bool = True) -> list[tuple[Node, Any]]:
    found: list[tuple[Node, Any]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None and aliases:  # an alias is written with "*": without one, nothing to count
                _refuse_expansion(node)
            data = loader.construct_document(node) if node is not None else None
            if node is not None and data is not None:
                found.append((node, data))
    finally:
        loader.dispose()
    return found


def _children(node: Node) -> list[Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _refuse_expansion(root: Node) -> None:
    """Refuse a document whose aliases add more than MAX_ALIAS_NODES nodes, nest it deeper than
    MAX_DEPTH, or refer to their own anchor. An alias is its anchor's node again, so the node tree is
    a graph: one pass over its distinct nodes (no recursion: aliases can nest deeper than the text)
    gives each node's size and depth once its children have theirs. A node whose size exceeds the
    distinct nodes seen so far by the budget has at least that many nodes from aliases: it is the
    first to, and its line is the one to name."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, depth) as read, aliases expanded
    open_: set[int] = set()  # nodes on the path from the root
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            children = _children(node)
            size = 1 + sum(sizes[id(child)][0] for child in children)
            depth = 1 + max((sizes[id(child)][1] for child in children), default=0)
            open_.discard(key)
            sizes[key] = (size, depth)
            line = node.start_mark.line + 1
            if size - len(sizes) > MAX_ALIAS_NODES:
                raise _Refused(f"aliases of the anchor on line {line} expand to {size:,} nodes, more than the "
                               f"{MAX_ALIAS_NODES:,} pledge reads through aliases (an SLA needs far fewer)", line)
            if depth > MAX_DEPTH:
                raise _Refused(f"aliases nest the document deeper than {MAX_DEPTH} levels at line {line} "
                               "(an SLA needs far fewer)", line)
            continue
        if key in sizes:
            continue
        if key in open_:
            line = node.start_mark.line + 1
            raise _Refused(f"an alias refers to its own anchor (line {line}): the data would never end", line)
        open_.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))


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
            raise _Refused(f'duplicate key "{shown(key)}" on {lines} (YAML would keep only the last)', line)
        first_line[key] = line


def parse_yaml(text: str, source: str = "") -> list[ServiceLevelAgreement]:
    """Every SLA document in ``text``; SpecError lists every fault of every document at once."""
    try:
        documents = [data for _, data in read_documents(text)]
    except _Refused as exc:
        raise SpecError([f"(document): {exc}"], source) from None
    except yaml.YAMLError as exc:
        raise SpecError([f"(document): not valid YAML: {error_text(exc, text)}"], source) from None
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
