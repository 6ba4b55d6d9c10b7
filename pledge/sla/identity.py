"""Whose a series, an alert or a row of figures is, spelled once.

Every series pledge records carries the SLA's reference (``sla``, ``sla_namespace``) and its
objective, plus the SLA's grouping labels: one query serves every SLA. The rules write these labels;
the API, the operator, predictions, dashboards and the console read them back with the two types
here, so "which SLA" and "which row" have one spelling (and one text: ``shop/checkout``,
``availability (customer=acme)``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

SLA_LABEL: Final = "sla"
NAMESPACE_LABEL: Final = "sla_namespace"
OBJECTIVE_LABEL: Final = "objective"
IDENTITY_LABELS: Final = (SLA_LABEL, NAMESPACE_LABEL, OBJECTIVE_LABEL)

Group = tuple[tuple[str, str], ...]
"""A group's label values, sorted by label name; empty for an SLA without grouping."""


@dataclass(frozen=True, order=True)
class SLARef:
    """An SLA: namespace and name, unique together (the Kubernetes object, or a file's metadata)."""

    namespace: str
    name: str

    @classmethod
    def of_labels(cls, labels: Mapping[str, str]) -> SLARef:
        """The SLA a recorded series or an alert belongs to."""
        return cls(labels.get(NAMESPACE_LABEL, ""), labels.get(SLA_LABEL, ""))

    def labels(self) -> dict[str, str]:
        """The labels naming it on every recorded series and alert."""
        return {SLA_LABEL: self.name, NAMESPACE_LABEL: self.namespace}

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


def group_of(labels: Mapping[str, str], grouping: Sequence[str]) -> Group:
    """The group a series belongs to: its value of each grouping label ("" when it has none)."""
    return tuple(sorted((label, labels.get(label, "")) for label in grouping))


@dataclass(frozen=True, order=True)
class Row:
    """One row of an SLA's figures: an objective, and the group for an SLA with ``grouping``."""

    objective: str
    group: Group = ()

    @classmethod
    def of_labels(cls, labels: Mapping[str, str], grouping: Sequence[str]) -> Row:
        return cls(labels.get(OBJECTIVE_LABEL, ""), group_of(labels, grouping))

    @classmethod
    def of(cls, objective: str, group: Mapping[str, str]) -> Row:
        return cls(objective, tuple(sorted(group.items())))

    def group_labels(self) -> dict[str, str]:
        return dict(self.group)

    def group_text(self) -> str:
        """``customer=acme`` (``,`` between labels); empty without grouping."""
        return ",".join(f"{label}={value}" for label, value in self.group)

    def group_column(self) -> str:
        """``acme``: a table's group column, where the header names the labels ("-" without grouping)."""
        return ",".join(value for _, value in self.group) or "-"

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a series or an alert with ``labels`` is this row's (its objective and group)."""
        return labels.get(OBJECTIVE_LABEL) == self.objective and all(labels.get(k) == v for k, v in self.group)

    def __str__(self) -> str:
        """``availability (customer=acme)``: how the operator's status names the row."""
        return f"{self.objective} ({self.group_text()})" if self.group else self.objective
