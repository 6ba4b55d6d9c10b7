"""The vendored peer examples, read and imported as `pledge import` reads them."""

from __future__ import annotations

from pathlib import Path

import yaml

from pledge.importers import Mapping, import_documents
from pledge.sla.loader import StrictLoader

PEERS = Path(__file__).resolve().parent.parent / "data" / "peers"


def imported(*names: str) -> list[Mapping]:
    """The mappings of peer files (paths under tests/data/peers), as one import."""
    documents = []
    for name in names:
        text = (PEERS / name).read_text(encoding="utf-8")
        documents += [(d, name) for d in yaml.load_all(text, Loader=StrictLoader) if d is not None]
    return import_documents(documents)


def examples() -> list[str]:
    """Every vendored SLO file (the peers' generated rules under _gen/ and _rules/ left out)."""
    return sorted(str(p.relative_to(PEERS)) for p in PEERS.rglob("*.y*ml") if not p.parent.name.startswith("_"))
