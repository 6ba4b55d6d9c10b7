"""Scheduled packs are written once (pledge review --every ... --deliver DIR): the same pack again changes
nothing, a restated one is written beside the published one, never over it."""

from __future__ import annotations

from pathlib import Path

from pledge.commands.review import publish
from pledge.review.render import filename


def test_a_pack_is_published_once_and_a_restatement_beside_it(tmp_path: Path) -> None:
    name = filename({"customer": "acme"}, "2026-11", "json")
    assert name == "review-customer-acme-2026-11.json"
    first = publish(tmp_path / "packs", name, b"pdf at 10:00", "a" * 64)
    assert first == tmp_path / "packs" / name and first.read_bytes() == b"pdf at 10:00"
    assert publish(tmp_path / "packs", name, b"pdf at 11:00", "a" * 64) is None  # a rerun: the same content
    restated = publish(tmp_path / "packs", name, b"restated", "b" * 64)
    assert restated is not None and restated.name == f"review-customer-acme-2026-11-restated-{'b' * 12}.json"
    assert first.read_bytes() == b"pdf at 10:00" and restated.read_bytes() == b"restated"
    assert publish(tmp_path / "packs", name, b"restated again", "b" * 64) is None  # the restatement too, once
    assert sorted(p.name for p in (tmp_path / "packs").iterdir()) == sorted(
        [name, f"{name}.content-hash", restated.name, f"{restated.name}.content-hash"])  # no partial file left
