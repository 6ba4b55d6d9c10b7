"""Prometheus (and vmalert) read alert label and annotation values as Go templates: user text goes in
as a literal, so "{{ .Foo" is shown as written instead of breaking the rule file, and
'{{ query "up" }}' is shown instead of run."""

from __future__ import annotations

import re

_DELIMITER = re.compile(r"\{\{|\}\}")


def literal(text: str) -> str:
    """``text`` as a Go template that renders it verbatim: each ``{{`` and ``}}`` becomes ``{{ "{{" }}``, ``{{ "}}" }}``."""
    return _DELIMITER.sub(lambda delimiter: f'{{{{ "{delimiter.group()}" }}}}', text)
