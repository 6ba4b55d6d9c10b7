"""What every importer shares: event SLIs from two queries, alert labels, and validation by
pledge's own model (and rule checks) before anything is called imported."""

from __future__ import annotations

from typing import Any

from pledge.importers.queries import pledge_window, sum_rate
from pledge.importers.report import Mapping
from pledge.rules import generate
from pledge.rules.check import refuse
from pledge.sla import SpecError, parse_sla
from pledge.sla.model import RESERVED_LABELS
from pledge.sla.promql import WINDOW_PLACEHOLDER

RAW_APPROXIMATION = ("windows longer than 1h average the 5m error ratio over time (as Sloth's own 30d period "
                     "does) instead of evaluating the query over the whole window")

TILED = ("windows longer than 1h sum pledge's recorded 5m rates instead of one rate() over the window: an "
         "alert reading only such windows (the ticket ones) fires and clears up to 5m apart from the peer's")


def events_sli(mapping: Mapping, where: str, total: str, errors: str | None = None,
               good: str | None = None) -> tuple[dict[str, Any], list[str]] | None:
    """(SLI, grouping) from a bad-or-good query over a total query; None (noted) when pledge cannot
    place its windows in them."""
    numerator = errors if errors is not None else good
    assert numerator is not None
    kind = "errors" if errors is not None else "good"
    top, bottom = sum_rate(numerator), sum_rate(total)
    if top is not None and bottom is not None and top.grouping == bottom.grouping:
        mapping.note(where, "exact", f"sum(rate()) of counters: a pledge ratio SLI ({kind}/total) records the same rates")
        return {"ratio": {kind: top.selector, "total": bottom.selector}}, list(top.grouping)
    top_text, bottom_text = pledge_window(numerator), pledge_window(total)
    if WINDOW_PLACEHOLDER not in top_text or WINDOW_PLACEHOLDER not in bottom_text:
        mapping.note(where, "unsupported", "a query without a window placeholder: pledge cannot place its windows in it")
        return None
    ratio = f"({top_text})\n/\n({bottom_text})"
    mapping.note(where, "approximated", f"became a raw SLI (error ratio of the two queries): {RAW_APPROXIMATION}")
    return {"raw": {"errorRatio": ratio if errors is not None else f"1 - (\n{ratio}\n)"}}, []


def alert_labels(mapping: Mapping, where: str, labels: dict[str, Any]) -> dict[str, str]:
    """Labels pledge can set on its alerts; reserved ones (severity, sla, ...) are dropped and noted."""
    kept: dict[str, str] = {}
    for name, value in labels.items():
        if name in RESERVED_LABELS:
            mapping.note(f"{where}.{name}", "dropped", f'"{name}" is set by pledge itself (severity is page or ticket)')
        else:
            kept[str(name)] = str(value)
    return kept


def unknown(mapping: Mapping, where: str, document: dict[str, Any], known: set[str]) -> None:
    """Every field the importer does not read is named, so nothing disappears silently."""
    for name in document:
        if name not in known:
            mapping.note(f"{where}{name}", "dropped", "not read by pledge's importer")


def sla_document(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "pledge.dev/v1alpha1", "kind": "ServiceLevelAgreement",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def validated(mapping: Mapping, document: dict[str, Any] | None) -> Mapping:
    """Keep ``document`` unless a field is unsupported; pledge's model checks it once merged (checked)."""
    unsupported = any(n.fidelity == "unsupported" for n in mapping.notes)
    mapping.document = None if unsupported else document
    return mapping


def checked(mappings: list[Mapping]) -> list[Mapping]:
    """Each SLA document as pledge's model and rule checks take it; the SLOs of a refused one are unsupported."""
    refused: dict[int, list[str]] = {}
    for mapping in mappings:
        if mapping.document is not None and id(mapping.document) not in refused:
            try:
                refuse(generate(parse_sla(mapping.document)))
                refused[id(mapping.document)] = []
            except SpecError as exc:
                refused[id(mapping.document)] = exc.problems
    for mapping in mappings:
        for problem in refused.get(id(mapping.document), []) if mapping.document is not None else []:
            mapping.note("(validation)", "unsupported", f"pledge refuses the result: {problem}")
        if mapping.document is not None and refused[id(mapping.document)]:
            mapping.document = None
    return mappings
