"""Adversarial SLA documents, and what pledge makes of each: one definition of "adversarial" for the
fuzz benchmark (seeded ``random``) and the property test (hypothesis), both drawing from the same
mutation table through a ``Chooser``. Pure: no files, no processes; the caller runs promtool and
vmalert on the rule files (``culprits`` bisects a refused batch with the caller's check).

A document is the examples' data, mutated: structural changes (fields dropped, duplicated, retyped,
nested wrongly; huge, negative, fractional numbers; odd durations and percentages) and arbitrary
Unicode in every free-text field, dumped as YAML or written raw (text-level mutations of the dump,
which exercise the YAML reader). ``classify`` runs what `pledge validate` runs on it.
"""

from __future__ import annotations

import copy
import random
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from os import PathLike
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeVar

import yaml

from pledge.files import check_file
from pledge.rules import RuleGroup, generate, rule_file, to_yaml
from pledge.rules.check import refuse
from pledge.sla import SpecError, parse_yaml

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn, SearchStrategy

T = TypeVar("T")

# -- the mutation table ---------------------------------------------------------------------------

# Text that broke, or could break, some reader on the way: YAML (1.1 and 1.2), Go templates, PromQL.
NASTY_TEXT: tuple[str, ...] = (
    "", " ", "\t", "\r", "\n", "\r\n", "\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029",
    "\ufeff", "\ud800", "\udfff", "\U0001f600", "\u200b", "\u202e", "{{ .Foo", '{{ query "up" }}', "{{",
    "}}", "{{ $labels.x }}", "{{`", ":\t", "x:\ty", "a \t# not a comment", "trailing\t", "#", "- x", "? x",
    "&anchor", "*alias", "!!str", "%TAG", "---", "...", "'", '"', "\\", "`", "${HOME}", "$1", "yes", "no",
    "on", "~", "null", "1e2", "0o17", "+inf", ".nan", "0x1F", "1_000", "٣٠", "99.9%", "x" * 5000,
    "é" * 3000, "\U0001f600" * 2000, "a\u0085b", "line\u2028break", "x" * 64, "a" * 63, "-a", "A",
    "__name__", "le", "sla", "objective", 'up{job="x"}', "rate(x[5m])", "{}", "[]", "x=~\"(\"",
)
NUMBERS: tuple[object, ...] = (
    10**30, -(10**30), -1, 0, 1, 0.5, 1e-9, 1e308, 99.9, 100, 150, float("inf"), float("-inf"), float("nan"),
    True, False, "99.9%", "0.999", "150", "99.9", "99.99999999999999999999999", "1e2", "NaN", "inf", "-0",
    "", " 99.9 ", "٩٩", "99,9", "0x63", "1_0", None, [99.9], {"value": 99.9},
)
DURATIONS: tuple[object, ...] = (
    "99999999999999999999d", "٣٠d", "0s", "0d", "-5m", "1.5h", "30D", "30 d", "1h30m", "5m", "1y", "", "d",
    "1e3s", 30, 0, -1, 1.5, "P30D", "30d\n", "２８d", "1s", "3650d", "3651d", "1h1h", "10000000000000000000s",
    "1d1s", "59s", "12m", None, ["30d"],
)
OTHER_TYPES: tuple[object, ...] = (None, 0, -1, 1.5, True, "x", "", [], {}, ["x"], {"x": 1}, [[]], 10**40)

# Where free text goes: paths into a document, "*" for every item of a list, "{}" for a new key.
TEXT_FIELDS: tuple[tuple[str, ...], ...] = (
    ("metadata", "name"), ("metadata", "namespace"), ("metadata", "labels", "{}"), ("metadata", "annotations", "{}"),
    ("spec", "service"), ("spec", "owner"), ("spec", "customer"), ("spec", "tier"), ("spec", "description"),
    ("spec", "alerting", "runbook"), ("spec", "alerting", "labels", "{}"), ("spec", "alerting", "annotations", "{}"),
    ("spec", "objectives", "*", "name"), ("spec", "objectives", "*", "description"),
    ("spec", "exclusions", "*", "reason"), ("spec", "exclusions", "*", "timezone"), ("spec", "exclusions", "*", "at"),
    ("spec", "alerting", "tiers", "*", "name"), ("spec", "grouping", "*"), ("spec", "window", "timezone"),
    ("spec", "objectives", "*", "sli", "ratio", "errors"), ("spec", "objectives", "*", "sli", "ratio", "total"),
    ("spec", "objectives", "*", "sli", "latency", "histogram"), ("spec", "objectives", "*", "sli", "latency", "selector"),
    ("spec", "objectives", "*", "sli", "boolGauge", "metric"), ("spec", "objectives", "*", "sli", "raw", "errorRatio"),
)
MAP_FIELDS: tuple[tuple[str, ...], ...] = (
    ("metadata", "labels"), ("metadata", "annotations"), ("spec", "alerting", "labels"), ("spec", "alerting", "annotations"),
)
NUMBER_FIELDS: tuple[tuple[str, ...], ...] = (
    ("spec", "objectives", "*", "target"), ("spec", "objectives", "*", "warning"), ("spec", "creditCap"),
    ("spec", "credits", "*", "below"), ("spec", "credits", "*", "percent"),
    ("spec", "objectives", "*", "sli", "latency", "threshold"), ("spec", "objectives", "*", "sli", "latency", "buckets", "*"),
    ("spec", "alerting", "breachPrediction", "minProbability"), ("spec", "alerting", "tiers", "*", "budgetConsumed"),
)
DURATION_FIELDS: tuple[tuple[str, ...], ...] = (
    ("spec", "window", "rolling"), ("spec", "alerting", "absentFor"), ("spec", "alerting", "breachPrediction", "for"),
    ("spec", "alerting", "tiers", "*", "longWindow"), ("spec", "alerting", "tiers", "*", "shortWindow"),
    ("spec", "exclusions", "*", "duration"),
)
LISTS: tuple[tuple[str, ...], ...] = (
    ("spec", "objectives"), ("spec", "credits"), ("spec", "exclusions"), ("spec", "alerting", "tiers"), ("spec", "grouping"),
)
EXTRA_PARTS: dict[tuple[str, ...], object] = {  # what a mutation may add where an example has none
    ("spec", "alerting", "tiers"): [{"name": "page-fast", "longWindow": "2h"}, {"name": "custom", "severity": "page",
                                    "longWindow": "6h", "budgetConsumed": "5"}, {"name": "ticket-slow", "enabled": False}],
    ("spec", "alerting", "breachPrediction"): {"enabled": True, "minProbability": "0.5", "for": "5m"},
    ("spec", "exclusions"): [{"schedule": "daily", "at": "23:59", "duration": "1h", "reason": "nightly"}],
    ("spec", "grouping"): ["customer", "region"],
    ("spec", "customer"): "acme", ("spec", "tier"): "gold", ("spec", "description"): "text",
    ("spec", "alerting", "policy"): "none",
}


class Chooser(Protocol):
    """Where the choices come from: a seeded ``random.Random`` or a hypothesis ``draw``."""

    def choice(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...

    def text(self) -> str: ...


class RandomChooser:
    """Choices from a seeded generator: the same seed, the same documents."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.random.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def text(self) -> str:
        return "".join(self._piece() for _ in range(self.random.randint(1, 4)))

    def _piece(self) -> str:
        kind = self.random.randrange(6)
        if kind <= 1:
            return self.choice(NASTY_TEXT)
        if kind == 2:
            return "team-" + str(self.random.randrange(1000))
        low, high = self.choice(((0, 0x20), (0x7F, 0xA0), (0xD800, 0xDFFF), (0x20, 0x7E), (0xA0, 0xFFFF), (0x10000, 0x10FFFF)))
        return "".join(chr(self.random.randint(low, high)) for _ in range(self.random.randint(1, 12)))


class DrawChooser:
    """Choices drawn by hypothesis, so a failing document shrinks to a small one."""

    def __init__(self, draw: DrawFn) -> None:
        self.draw = draw

    def choice(self, options: Sequence[T]) -> T:
        from hypothesis import strategies as st

        return self.draw(st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        from hypothesis import strategies as st

        return self.draw(st.integers(low, high))

    def text(self) -> str:
        from hypothesis import strategies as st

        any_text = st.text(st.characters(exclude_categories=()), max_size=40)  # surrogates and controls too
        pieces = st.lists(st.one_of(st.sampled_from(NASTY_TEXT), any_text), min_size=1, max_size=4)
        return "".join(self.draw(pieces))


def _get(node: Any, key: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _concrete(doc: Any, pattern: tuple[str, ...], chooser: Chooser) -> tuple[Any, str | int] | None:
    """A parent container and key for ``pattern`` ("*": one item of an existing list, "{}": a new or
    existing key of a map), creating missing maps on the way; None when a list on the way is empty."""
    node = doc
    for position, part in enumerate(pattern):
        last = position == len(pattern) - 1
        key: str | int
        if part == "*":
            if not isinstance(node, list) or not node:
                return None
            key = chooser.integer(0, len(node) - 1)
        elif part == "{}":
            if not isinstance(node, dict):
                return None
            key = chooser.text() if not node or chooser.integer(0, 2) else chooser.choice(sorted(map(str, node)))
        else:
            key = part
        if last:
            fits = isinstance(node, dict) or (isinstance(node, list) and isinstance(key, int))
            return (node, key) if fits else None
        child = _get(node, key)
        if child is None and isinstance(node, dict) and pattern[position + 1] not in ("*",):
            child = node[key] = {}
        if not isinstance(child, (dict, list)):
            return None
        node = child
    return None


def _set(doc: Any, pattern: tuple[str, ...], value: object, chooser: Chooser) -> None:
    place = _concrete(doc, pattern, chooser)
    if place is not None:
        parent, key = place
        if isinstance(parent, dict):
            parent[key] = value
        elif isinstance(key, int):
            parent[key] = value


def _paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path to a value of the document."""
    found: list[tuple[str | int, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found.append((*prefix, key))
        found += _paths(value, (*prefix, key))
    return found


def _at(doc: Any, path: tuple[str | int, ...]) -> tuple[Any, str | int]:
    node = doc
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


def _text_field(doc: Any, c: Chooser) -> None:
    pattern = c.choice(TEXT_FIELDS)
    place = _concrete(doc, pattern, c)
    if place is None:
        return
    parent, key = place
    old = _get(parent, key)
    new = c.text()
    if isinstance(old, str) and c.integer(0, 1):
        cut = c.integer(0, len(old))
        new = old[:cut] + new + old[cut:]
    parent[key] = new


def _map_key(doc: Any, c: Chooser) -> None:
    """A label or annotation whose key (and perhaps value) is adversarial."""
    place = _concrete(doc, (*c.choice(MAP_FIELDS), "{}"), c)
    if place is not None:
        parent, key = place
        parent[c.text()] = c.choice(("v", c.text(), 5, None, ["x"]))


def _number(doc: Any, c: Chooser) -> None:
    _set(doc, c.choice(NUMBER_FIELDS), c.choice(NUMBERS), c)


def _duration(doc: Any, c: Chooser) -> None:
    _set(doc, c.choice(DURATION_FIELDS), c.choice(DURATIONS), c)


def _drop(doc: Any, c: Chooser) -> None:
    paths = _paths(doc)
    if paths:
        parent, key = _at(doc, c.choice(paths))
        del parent[key]


def _retype(doc: Any, c: Chooser) -> None:
    paths = _paths(doc)
    if paths:
        parent, key = _at(doc, c.choice(paths))
        parent[key] = copy.deepcopy(c.choice(OTHER_TYPES))


def _nest(doc: Any, c: Chooser) -> None:
    """A value wrapped in a list or a map, or a map's fields moved up or down a level."""
    paths = _paths(doc)
    if not paths:
        return
    parent, key = _at(doc, c.choice(paths))
    value = parent[key]
    how = c.integer(0, 2)
    if how == 0:
        parent[key] = [value]
    elif how == 1:
        parent[key] = {c.choice(("value", "spec", "ratio", str(key))): value}
    elif isinstance(value, dict) and value and isinstance(parent, dict):
        inner = c.choice(sorted(map(str, value)))
        parent[inner] = value.pop(inner)  # up a level: next to its former parent


def _duplicate(doc: Any, c: Chooser) -> None:
    """A list item twice (objectives, credits, exclusions, tiers), or a part the example lacks added."""
    if c.integer(0, 1):
        pattern = c.choice(tuple(EXTRA_PARTS))
        _set(doc, pattern, copy.deepcopy(EXTRA_PARTS[pattern]), c)
        return
    place = _concrete(doc, c.choice(LISTS), c)
    if place is not None:
        parent, key = place
        items = _get(parent, key)
        if isinstance(items, list) and items:
            items.insert(c.integer(0, len(items)), copy.deepcopy(c.choice(items)))


MUTATIONS: tuple[Callable[[Any, Chooser], None], ...] = (
    _text_field, _text_field, _text_field, _map_key, _number, _duration, _drop, _retype, _nest, _duplicate,
)


def _raw(text: str, c: Chooser) -> str:
    """A text-level change to a dumped document, for the YAML reader: what safe_dump never writes."""
    lines = text.split("\n")
    at = c.integer(0, max(len(lines) - 1, 0))
    how = c.integer(0, 7)
    line = lines[at]
    if how == 0:
        lines[at] = line + "\t"
    elif how == 1:
        lines[at] = line + "\t# comment"
    elif how == 2:
        lines[at] = line.replace(": ", ":\t", 1)
    elif how == 3:
        lines.insert(at, line)  # a key twice
    elif how == 4:
        lines[at] = line + c.choice(("\x00", "\r", "\u2028", "\x85", "\ufeff", "\t#", " &a", " *a", " !!binary"))
    elif how == 5:
        lines[at] = "\t" + line
    elif how == 6:
        lines.insert(at, c.choice(("---", "...", "%YAML 1.1", "? x", "<<: {a: 1}", "[", "{", "- ")))
    else:
        cut = c.integer(0, len(line))
        lines[at] = line[:cut] + c.text() + line[cut:]
    return "\n".join(lines)


BOMB_SHARE: Final = 50  # one document in this many is an alias bomb (or a harmless use of aliases)
_SPOT = "pledge-fuzz-alias-spot"


def laughs(c: Chooser, name: str = "l") -> str:
    """A "billion laughs" as one flow collection: ``levels`` anchors, each of ``width`` aliases of the
    one before (width ** levels nodes once expanded; 9 and 9: 387 million), as a list or a mapping,
    sometimes a mapping merged (<<) into the next, or an alias of its own anchor; small ones (3 by 3)
    stay within pledge's budget and must still read."""
    levels, width = c.integer(2, 9), c.integer(2, 9)
    shape = c.integer(0, 3)
    parts = []
    for level in range(levels):
        items = ["lol"] * width if level == 0 else [f"*{name}{level - 1}"] * width
        if shape == 0:
            parts.append(f"&{name}{level} [{', '.join(items)}]")
        elif shape == 1:
            parts.append(f"&{name}{level} {{{', '.join(f'k{i}: {item}' for i, item in enumerate(items))}}}")
        elif shape == 2:  # merges: each level merges the one before under every key
            merged = f"<<: *{name}{level - 1}, " if level else ""
            parts.append(f"&{name}{level} {{{merged}{', '.join(f'm{level}{i}: {item}' for i, item in enumerate(items))}}}")
        else:  # an alias of the anchor it sits in: data that never ends
            parts.append(f"&{name}{level} [{', '.join(items)}, *{name}{level}]")
    return "[" + ", ".join(parts) + "]"


def bomb(bases: Sequence[dict[str, Any]], c: Chooser, index: int) -> str:
    """A document (or several) holding alias bombs: under any key of the document (metadata, spec,
    status, a field's value), as an item of any list, or in several documents of one file."""
    count = c.integer(1, 3) if c.integer(0, 2) == 0 else 1
    texts = []
    for number in range(count):
        doc = copy.deepcopy(c.choice(bases))
        if isinstance(doc.get("metadata"), dict):
            doc["metadata"]["name"] = f"{doc['metadata'].get('name', 'sla')}-{index}-{number}"
        paths = _paths(doc)
        where = c.integer(0, 2)
        if where == 0 or not paths:
            doc[c.choice(("status", "spec", "metadata", "extra"))] = _SPOT
        else:
            parent, key = _at(doc, c.choice(paths))
            if where == 1 or not isinstance(parent, list):
                parent[key] = _SPOT
            else:
                parent.insert(key if isinstance(key, int) else 0, _SPOT)
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10**6)
        texts.append(text.replace(_SPOT, laughs(c, f"a{number}x"), 1))
    return "---\n".join(texts)


def mutate(bases: Sequence[dict[str, Any]], c: Chooser, index: int) -> str:
    """One adversarial document as YAML text, from a base document (the examples); ``index`` makes its
    name unique when no mutation touches the name, so accepted documents can share a rule file."""
    if c.integer(0, BOMB_SHARE - 1) == 0:
        return bomb(bases, c, index)
    doc = copy.deepcopy(c.choice(bases))
    if isinstance(doc.get("metadata"), dict):
        doc["metadata"]["name"] = f"{doc['metadata'].get('name', 'sla')}-{index}"
    for _ in range(c.integer(1, 4)):
        c.choice(MUTATIONS)(doc, c)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=c.choice((80, 10**6)))
    return _raw(text, c) if c.integer(0, 3) == 0 else text


def documents(bases: Sequence[dict[str, Any]], count: int, seed: int) -> list[str]:
    """``count`` adversarial documents from a seed (the benchmark's)."""
    chooser = RandomChooser(seed)
    return [mutate(bases, chooser, index) for index in range(count)]


def strategy(bases: Sequence[dict[str, Any]]) -> SearchStrategy[str]:
    """The same documents for hypothesis (the property test)."""
    from hypothesis import strategies as st

    @st.composite
    def document(draw: DrawFn) -> str:
        return mutate(bases, DrawChooser(draw), draw(st.integers(0, 10**6)))

    return document()


# -- what pledge makes of a document --------------------------------------------------------------


class _Text(Traversable):
    """A document in memory as pledge.files reads a file."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8", "surrogatepass")  # a raw lone surrogate: bytes UTF-8 refuses

    def read_bytes(self) -> bytes:
        return self.data

    def iterdir(self) -> Any:
        return iter(())

    def read_text(self, encoding: str | None = None) -> str:
        return self.data.decode(encoding or "utf-8")

    def is_dir(self) -> bool:
        return False

    def is_file(self) -> bool:
        return True

    def joinpath(self, *descendants: str | PathLike[str]) -> Traversable:
        raise FileNotFoundError(descendants)

    def __truediv__(self, child: str | PathLike[str]) -> Traversable:
        raise FileNotFoundError(child)

    def open(self, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return "fuzz.yaml"


Kind = Literal["rejected", "accepted", "traceback", "pathless", "late", "mismatch"]
# "path: reason" lines: a field path ("spec.objectives[0].target", a map key may hold anything but
# a line break) or "(document)"/"(file)", after "document N: " in a file of several.
_LINE = re.compile(r"^(?:document \d+: )?(\((?:document|file)\)|[A-Za-z\x80-\U0010ffff][^\n]*?): ", re.DOTALL)


@dataclass
class Outcome:
    """What `pledge validate` made of one document. ``rejected``: every problem names a field path (or
    the document or file); ``accepted``: its rules generated, rendered and read back as written.
    Failures: ``traceback`` (an unexpected exception), ``pathless`` (a problem naming no field),
    ``late`` (refused only by the rule check: validation let it through), ``mismatch`` (the rule
    file does not read back as written)."""

    kind: Kind
    text: str
    problems: list[str] = field(default_factory=list)
    groups: list[RuleGroup] = field(default_factory=list)
    rules: str = ""
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.kind not in ("rejected", "accepted")


def classify(text: str) -> Outcome:
    """Run `pledge validate`'s checks on one document: read and validate (pledge.files), then generate
    and check its rules (pledge.rules.check); the strict reader (pledge.sla.parse_yaml) must not
    raise anything but SpecError either."""
    try:
        return _classify(text)
    except Exception:  # noqa: BLE001 - any other exception is the finding
        return Outcome("traceback", text, error=traceback.format_exc())


def _classify(text: str) -> Outcome:
    try:
        parse_yaml(text, "fuzz.yaml")
    except SpecError:
        pass
    scan = check_file(_Text(text), "fuzz.yaml")
    problems = [p.text() for p in scan.errors]
    if problems:
        pathless = [p for p in problems if not _LINE.match(p)]
        return Outcome("pathless" if pathless else "rejected", text, problems)
    groups: list[RuleGroup] = []
    for found in scan.slas:
        sla_groups = generate(found.sla)
        try:
            refuse(sla_groups)
        except SpecError as exc:
            return Outcome("late", text, exc.problems)
        groups += sla_groups
    rules = to_yaml(rule_file(groups))
    if yaml.safe_load(rules) != rule_file(groups):
        return Outcome("mismatch", text, groups=groups, rules=rules)
    return Outcome("accepted", text, groups=groups, rules=rules)


def batches(accepted: Sequence[Outcome], size: int) -> list[list[Outcome]]:
    """Accepted documents in rule files of up to ``size`` documents whose group names never repeat."""
    out: list[tuple[list[Outcome], set[str]]] = []
    for outcome in accepted:
        names = {g.name for g in outcome.groups}
        home = next((b for b in out if len(b[0]) < size and not b[1] & names), None)
        if home is None:
            out.append(([outcome], names))
        else:
            home[0].append(outcome)
            home[1].update(names)
    return [b for b, _ in out]


def batch_rules(batch: Sequence[Outcome]) -> str:
    """One rule file holding every document's groups."""
    return to_yaml(rule_file([g for o in batch for g in o.groups]))


def culprits(batch: Sequence[Outcome], refusal: Callable[[str], str | None]) -> list[tuple[Outcome, str]]:
    """The documents of a batch whose rules ``refusal`` (rule file text -> a reason, or None) refuses,
    found by bisection, each with its reason."""
    reason = refusal(batch_rules(batch)) if batch else None
    if reason is None:
        return []
    if len(batch) == 1:
        return [(batch[0], reason)]
    half = len(batch) // 2
    found = culprits(batch[:half], refusal) + culprits(batch[half:], refusal)
    return found or [(o, reason) for o in batch]  # refused only together: name them all
