"""`pledge export openslo` then `pledge import` gives back an equal SLA, for every shipped example."""

from __future__ import annotations

from importlib.resources import files

import pytest
import yaml

from pledge.files import read_slas, yaml_files
from pledge.importers import import_documents, to_openslo
from pledge.sla import ServiceLevelAgreement, parse_sla

EXAMPLES = yaml_files(files("pledge") / "examples")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda f: f.name)
def test_export_then_import_is_the_same_sla(example: object) -> None:
    [sla] = read_slas(example, str(example))  # type: ignore[arg-type]
    assert isinstance(sla, ServiceLevelAgreement)
    text = "---\n".join(yaml.safe_dump(d) for d in to_openslo(sla))
    documents = [(d, "export") for d in yaml.safe_load_all(text)]
    assert [d["kind"] for d, _ in documents].count("SLO") == len(sla.spec.objectives)
    mappings = import_documents(documents)
    assert {m.fidelity for m in mappings} <= {"exact", "approximated"}
    assert mappings[0].document is not None
    assert parse_sla(mappings[0].document) == sla
