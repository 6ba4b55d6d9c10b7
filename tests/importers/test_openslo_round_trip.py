"""`pledge export openslo` then `pledge import` gives back an equal SLA, for every shipped example."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pledge.api.sources import packaged_examples
from pledge.files import Found, check
from pledge.importers import import_documents, to_openslo
from pledge.sla import ServiceLevelAgreement, parse_sla

EXAMPLES = check((packaged_examples(),)).slas


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda f: Path(f.file).name)
def test_export_then_import_is_the_same_sla(example: Found) -> None:
    sla = example.sla
    assert isinstance(sla, ServiceLevelAgreement) and len(EXAMPLES) >= 6
    text = "---\n".join(yaml.safe_dump(d) for d in to_openslo(sla))
    documents = [(d, "export") for d in yaml.safe_load_all(text)]
    assert [d["kind"] for d, _ in documents].count("SLO") == len(sla.spec.objectives)
    mappings = import_documents(documents)
    assert {m.fidelity for m in mappings} <= {"exact", "approximated"}
    assert mappings[0].document is not None
    assert parse_sla(mappings[0].document) == sla
