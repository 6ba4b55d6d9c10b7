"""The one reader of SLA files: every command, the importers and the API's directory source read
here, so a directory of SLAs means the same everywhere (recursive, duplicates refused, rules checked).

A file is read as UTF-8 YAML, one or more documents. A document is an SLA candidate when it says so
(``apiVersion: pledge.dev/...`` or ``kind: ServiceLevelAgreement``) or is pledge's plain form (no
apiVersion and no kind, but ``metadata``/``spec``); candidates are validated, and anything else is
recognised (Sloth, OpenSLO, Pyrra, Prometheus rules, other Kubernetes manifests) and named. Directories
are walked recursively; what a walk finds that is not an SLA is skipped, what is named is an error."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import yaml

from pledge.rules import generate
from pledge.rules.check import refuse
from pledge.sla import ServiceLevelAgreement, SpecError, parse_sla
from pledge.sla.identity import SLARef
from pledge.sla.loader import Refused, error_line, error_text, read_documents

YAML_SUFFIXES = (".yaml", ".yml")
IMPORT_PLANNED = "convert it with `pledge import` (Sloth, Pyrra and OpenSLO; see docs/importers.md)"

Severity = Literal["error", "warning", "note"]  # a note (a deferred change) never changes the exit code
Peer = Literal["sloth", "pyrra", "openslo"]


def yaml_files(folder: Traversable) -> list[Traversable]:
    """A folder's YAML files, sorted by name, and its sub-folders' in name order, skipping hidden
    files and folders (``.git``, ``.github``)."""
    return list(_walk(folder, set()))


def _walk(folder: Traversable, seen: set[Path]) -> Iterable[Traversable]:
    if isinstance(folder, Path):
        real = folder.resolve()
        if real in seen:  # a symlink loop
            return
        seen.add(real)
    for entry in sorted(folder.iterdir(), key=lambda f: f.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry, seen)
        elif entry.name.endswith(YAML_SUFFIXES):
            yield entry


# -- what a document is ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Foreign:
    """A document that is not a pledge SLA: what it looks like, and whether it is another SLO format
    (a warning: it may be meant as an SLA) or just other YAML (a note)."""

    looks_like: str
    slo_format: bool = False
    peer: Peer | None = None  # the importer that reads it: a Sloth, Pyrra or OpenSLO SLO

    def reason(self) -> str:
        if self.slo_format:
            return f"this is {self.looks_like}, not a pledge SLA; {IMPORT_PLANNED}"
        return f"this is {self.looks_like}, not a pledge SLA"


def recognise(document: Any) -> Foreign | None:
    """None for an SLA candidate (valid or not); otherwise what the document looks like."""
    if not isinstance(document, dict):
        return Foreign(f"a YAML {_yaml_type(document)}")
    api, kind = document.get("apiVersion"), document.get("kind")
    api_text = api if isinstance(api, str) else ""
    if api_text.startswith("pledge.dev/") or kind == "ServiceLevelAgreement":
        return None
    if api is None and kind is None:
        if document.get("version") == "prometheus/v1" or "slos" in document:
            return Foreign("a Sloth prometheus/v1 spec", slo_format=True, peer="sloth")
        if _is_rule_file(document):
            return Foreign("a Prometheus rule file")
        if "spec" in document or "metadata" in document:
            return None  # pledge's plain form: apiVersion and kind may be left out
        keys = ", ".join(str(k) for k in list(document)[:5])
        return Foreign(f"YAML with no apiVersion and kind (top-level keys: {keys})")
    kind_text = str(kind) if kind is not None else "document with no kind"
    if api_text.startswith("sloth.slok.dev/"):
        return Foreign(f"a Sloth Kubernetes {kind_text} ({api_text})", slo_format=True,
                       peer="sloth" if kind == "PrometheusServiceLevel" else None)
    if api_text.startswith("openslo/"):  # SLI, AlertPolicy and DataSource objects are read through an SLO
        return Foreign(f"an OpenSLO {kind_text} ({api_text})", slo_format=True, peer="openslo" if kind == "SLO" else None)
    if api_text.startswith("pyrra.dev/"):
        return Foreign(f"a Pyrra {kind_text} ({api_text})", slo_format=True,
                       peer="pyrra" if kind == "ServiceLevelObjective" else None)
    if kind == "PrometheusRule":
        return Foreign(f"a prometheus-operator PrometheusRule object ({api_text or 'no apiVersion'})")
    return Foreign(f"a Kubernetes {kind_text} manifest ({api_text or 'no apiVersion'})")


def _is_rule_file(document: dict[Any, Any]) -> bool:
    groups = document.get("groups")
    return isinstance(groups, list) and any(isinstance(g, dict) and "rules" in g for g in groups)


def _yaml_type(value: object) -> str:
    names = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}
    return names.get(type(value), type(value).__name__)


# -- what checking finds --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One error or warning: ``path`` is the field path (None: the whole file or document)."""

    file: str
    line: int | None
    path: str | None
    message: str
    severity: Severity = "error"
    document: int | None = None
    scope: str = "(document)"  # what a problem with no path is about: "(document)" or "(file)"

    def text(self) -> str:
        """As a problem line of a SpecError: "path: reason", after the document when there are several,
        and "line N" where the path names no field (a YAML error: the line is all there is to go by)."""
        where = f"document {self.document}: " if self.document is not None else ""
        what = self.path or (f"line {self.line}" if self.line is not None else self.scope)
        return f"{where}{what}: {self.message}"

    def as_json(self) -> dict[str, object]:
        """As `pledge validate --format json` lists it (where in the file, not which document)."""
        return {key: value for key, value in asdict(self).items() if key not in ("document", "scope")}


@dataclass(frozen=True)
class Skipped:
    """A file (or one document of it, ``document``) that is not an SLA and was not checked."""

    file: str
    reason: str
    severity: Literal["note", "warning"] = "note"
    line: int | None = None
    document: int | None = None

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Found:
    """A valid SLA and where it is defined (``document`` counts a file's non-empty documents from 1)."""

    sla: ServiceLevelAgreement
    file: str
    document: int
    line: int
    documents: int  # how many the file holds: one needs no document number to be found

    def place(self) -> str:
        number = f" (document {self.document})" if self.documents > 1 else ""
        return f"{self.file}:{self.line}{number}"

    def as_json(self) -> dict[str, object]:
        spec = self.sla.spec
        return {"file": self.file, "line": self.line, "namespace": self.sla.metadata.namespace,
                "name": self.sla.metadata.name, "objectives": [o.name for o in spec.objectives],
                "window": spec.window.describe()}


@dataclass
class Scan:
    """Everything checking some paths found, in the order of the files."""

    files: list[str] = field(default_factory=list)
    slas: list[Found] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def spec_errors(self) -> list[SpecError]:
        """The errors as one SpecError per file, as the commands that only load SLAs report them."""
        by_file: dict[str, list[str]] = {}
        for problem in self.errors:
            by_file.setdefault(problem.file, []).append(problem.text())
        return [SpecError(problems, file) for file, problems in by_file.items()]

    def as_json(self) -> dict[str, object]:
        return {"files": self.files, "slas": [f.as_json() for f in self.slas],
                "problems": [p.as_json() for p in self.problems], "skipped": [s.as_json() for s in self.skipped]}


# -- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Document:
    index: int  # among the file's non-empty documents, from 1 (as pledge.sla.parse_yaml counts them)
    node: yaml.Node
    data: Any

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1


def _documents(text: str) -> list[_Document]:
    """The non-empty documents of a YAML stream, each with its node tree (for lines), read as
    pledge.sla.parse_yaml reads them (a key written twice, or nesting too deep, is not valid YAML)."""
    return [_Document(index, node, data) for index, (node, data) in enumerate(read_documents(text), start=1)]


def line_of(node: yaml.Node, path: str | None) -> int:
    """The 1-based line of a field path ("spec.objectives[0].target") in a document's node tree; of the
    deepest field that exists when the path goes further (a missing field: its parent's line)."""
    line = node.start_mark.line + 1
    rest = path or ""
    while rest:
        if isinstance(node, yaml.SequenceNode):
            index = re.match(r"\[(\d+)\]", rest)
            if index is None or int(index.group(1)) >= len(node.value):
                break
            node, rest = node.value[int(index.group(1))], rest[index.end():]
            line = node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            rest = rest.removeprefix(".")
            keys = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and _leads(rest, str(k.value))]
            if not keys:
                break
            key, node = max(keys, key=lambda kv: len(str(kv[0].value)))  # keys may hold dots themselves
            rest, line = rest[len(str(key.value)):], key.start_mark.line + 1
        else:
            break
    return line


def _leads(path: str, key: str) -> bool:
    return path == key or path.startswith((key + ".", key + "["))


_PROBLEM = re.compile(r"^(\S+?): (.*)$", re.DOTALL)


def split_problem(problem: str) -> tuple[str | None, str]:
    """A SpecError line "spec.objectives[0].target: must be ..." as (path, message); "(document)" and
    "(file)" name no field (None)."""
    match = _PROBLEM.match(problem)
    if match is None:
        return None, problem
    path, message = match.groups()
    return (None if path.startswith("(") else path), message


def _read_text(file: Traversable, source: str) -> str | Problem:
    try:
        data = file.read_bytes()
    except OSError as exc:
        return Problem(source, None, None, f"cannot read: {exc.strerror or exc}", scope="(file)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(source, line, None, f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                                           f"(line {line}) cannot be decoded; save the file as UTF-8", scope="(file)")


def _parse(text: str, source: str) -> list[_Document] | Problem:
    try:
        return _documents(text)
    except yaml.YAMLError as exc:  # the line is the Problem's, so the message does not repeat it
        said = "" if isinstance(exc, Refused) else "not valid YAML: "  # Refused: read, but not taken
        return Problem(source, error_line(exc, text), None, said + error_text(exc, text, line=False))


def read_yaml(file: Traversable, source: str) -> list[Any] | Problem:
    """A file's non-empty YAML documents as data, read exactly as SLA files are (UTF-8, strict YAML):
    what the importers read; a Problem when the file cannot be read."""
    text = _read_text(file, source)
    if isinstance(text, Problem):
        return text
    documents = _parse(text, source)
    return documents if isinstance(documents, Problem) else [document.data for document in documents]


def check_file(file: Traversable, source: str, named: bool = True, *, now: float | None = None) -> Scan:
    """One file: its valid SLAs, its problems and what was skipped. ``named``: the file was asked for
    (a file that holds no SLA is an error) rather than found by walking a folder (it is skipped)."""
    scan = Scan(files=[source])
    text = _read_text(file, source)
    if isinstance(text, Problem):
        scan.problems.append(text)
        return scan
    documents = _parse(text, source)
    if isinstance(documents, Problem):
        scan.problems.append(documents)
        return scan
    candidates = [(d, recognise(d.data)) for d in documents]
    several = len(documents) > 1
    if not any(foreign is None for _, foreign in candidates):
        line = documents[0].line if documents else None
        _foreign_file(scan, source, [f for _, f in candidates if f is not None], named, line)
        return scan
    for document, foreign in candidates:
        number = document.index if several else None
        if foreign is not None:  # another document of an SLA file: a Deployment next to its SLA, say
            scan.skipped.append(Skipped(source, f"document {document.index}: {foreign.reason()}",
                                        "warning" if foreign.slo_format else "note", document.line, document.index))
            if foreign.slo_format:
                scan.problems.append(Problem(source, document.line, None, foreign.reason(), "warning", number))
            continue
        try:
            sla = parse_sla(document.data, now=now)
        except SpecError as exc:
            for problem in exc.problems:
                path, message = split_problem(problem)
                scan.problems.append(Problem(source, line_of(document.node, path), path, message, "error", number))
            continue
        scan.slas.append(Found(sla, source, document.index, document.line, len(documents)))
    return scan


def _foreign_file(scan: Scan, source: str, looks: list[Foreign], named: bool, line: int | None) -> None:
    if not looks:
        if named:
            scan.problems.append(Problem(source, None, None, "the file holds no SLA"))
        else:
            scan.skipped.append(Skipped(source, "empty: no YAML documents"))
        return
    first = looks[0]
    reason = first.reason() + (f" ({len(looks) - 1} more document(s) follow)" if len(looks) > 1 else "")
    slo_format = any(f.slo_format for f in looks)
    if named:
        scan.problems.append(Problem(source, line, None, reason))
        return
    scan.skipped.append(Skipped(source, reason, "warning" if slo_format else "note", line))
    if slo_format:
        scan.problems.append(Problem(source, line, None, reason, "warning"))


def expand(paths: tuple[Path, ...]) -> list[tuple[Path, bool]]:
    """Files as given (named: True), directories as the YAML files found walking them (False); a file
    reached twice (named, and found in a directory also named) is read once, as named."""
    found: dict[Path, tuple[Path, bool]] = {}
    for path in paths:
        files = yaml_files(path) if path.is_dir() else [path]
        for file in files:
            if isinstance(file, Path):
                earlier = found.get(file.resolve())
                named = not path.is_dir() or (earlier is not None and earlier[1])
                found[file.resolve()] = (earlier[0] if earlier is not None else file, named)
    return list(found.values())


def check(paths: tuple[Path, ...], skip_foreign: bool = False, *, now: float | None = None) -> Scan:
    """Every file under ``paths`` (``scan``), then the ruler's checks of each SLA (``ruler_accepted``).
    ``now``: the moment they are read (refuses corrections that end after it; pledge.sla.parse_sla)."""
    found = scan(paths, skip_foreign, now=now)
    found.slas = ruler_accepted(found.slas, found.problems)
    return found


def scan(paths: tuple[Path, ...], skip_foreign: bool = False, *, now: float | None = None) -> Scan:
    """Every file under ``paths``, read and validated; two SLAs with one namespace/name are an error
    naming both places. ``skip_foreign``: files named that are not SLAs are skipped as if a walk had
    found them. The rules are not generated yet: ``check`` adds that."""
    scan = Scan()
    for path, named in expand(paths):
        one = check_file(path, str(path), named and not skip_foreign, now=now)
        scan.files.extend(one.files)
        scan.problems.extend(one.problems)
        scan.skipped.extend(one.skipped)
        scan.slas.extend(one.slas)
    first: dict[SLARef, Found] = {}
    unique: list[Found] = []
    for found in scan.slas:
        earlier = first.setdefault(found.sla.ref, found)
        if earlier is found:
            unique.append(found)
            continue
        document = found.document if found.documents > 1 else None
        scan.problems.append(Problem(
            found.file, found.line, "metadata.name",
            f"SLA {found.sla.key} is defined twice: at {earlier.place()} and at {found.place()}; "
            "names must be unique within a namespace", "error", document))
    scan.slas = unique
    return scan


def ruler_accepted(slas: list[Found], problems: list[Problem]) -> list[Found]:
    """What validate accepts, a ruler accepts: each SLA's rules are generated and checked as the
    operator checks them before writing (pledge.rules.check, a few ms an SLA); a refusal is the SLA's
    error, added to ``problems``."""
    accepted = []
    for found in slas:
        try:
            refuse(generate(found.sla))
        except SpecError as exc:
            document = found.document if found.documents > 1 else None
            problems += [Problem(found.file, found.line, *split_problem(p), "error", document) for p in exc.problems]
            continue
        accepted.append(found)
    return accepted
