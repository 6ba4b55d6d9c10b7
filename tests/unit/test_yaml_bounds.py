"""Bounded YAML reading: alias bombs, self-referring aliases and oversized files are refused quickly,
with the file and line; a file using a few aliases still reads (pledge.sla.loader)."""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path

import pytest
import yaml

from pledge.files import check_file, read_yaml
from pledge.sla import SpecError, parse_yaml
from pledge.sla.loader import MAX_BYTES
from pledge.testing.fuzz import RandomChooser, bomb, classify

EXAMPLE = files("pledge").joinpath("examples", "api-availability.yaml").read_text()


def _laughs(levels: int = 9, width: int = 9) -> str:
    lines = [f"  l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


BOMBS = {
    "under status": EXAMPLE.rstrip("\n") + "\nstatus:\n" + _laughs(),
    "under spec": EXAMPLE.replace("spec:\n", "spec:\n" + _laughs(), 1),
    "in a list": EXAMPLE.rstrip("\n") + "\nextra:\n  - " + _laughs().strip().replace("\n  ", ", ").join("{}") + "\n",
    "second document": EXAMPLE + "---\n" + EXAMPLE.replace("spec:\n", "spec:\n" + _laughs(), 1),
    "merges": EXAMPLE.rstrip("\n") + "\nstatus:\n  m0: &m0 {a: 1, b: 2}\n"
              + "".join(f"  m{i}: &m{i} {{<<: *m{i - 1}, " + ", ".join(f"k{j}: *m{i - 1}" for j in range(9)) + "}\n"
                        for i in range(1, 9)),
    "own anchor": EXAMPLE.rstrip("\n") + "\nstatus: &self [a, *self]\n",
}


def _line_of_first_anchor(text: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if "&" in line)


@pytest.mark.parametrize("name", list(BOMBS))
def test_alias_bombs_are_refused_fast_with_file_and_line(name: str, tmp_path: Path) -> None:
    text = BOMBS[name]
    (tmp_path / "bomb.yaml").write_text(text)
    started = time.perf_counter()
    scan = check_file(tmp_path / "bomb.yaml", "bomb.yaml")
    with pytest.raises(SpecError) as caught:
        parse_yaml(text, "bomb.yaml")
    found = read_yaml(tmp_path / "bomb.yaml", "bomb.yaml")
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, elapsed
    (problem,) = scan.errors
    assert problem.file == "bomb.yaml" and problem.line is not None
    assert problem.line >= _line_of_first_anchor(text), (problem.line, problem.message)
    assert "alias" in problem.message and "<unicode string>" not in problem.message, problem.message
    assert f"line {problem.line}" in caught.value.problems[0] and str(caught.value).startswith("bomb.yaml:")
    assert not isinstance(found, list) and found.line == problem.line


def test_a_few_aliases_still_read(tmp_path: Path) -> None:
    text = "base: &base {service: checkout}\n" + EXAMPLE.replace("spec:\n", "spec:\n  <<: *base\n", 1)
    with pytest.raises(SpecError) as caught:  # read: only the extra top-level key is refused
        parse_yaml(text)
    assert caught.value.problems == ["base: unknown field (check the spelling; fields are camelCase)"]
    small = EXAMPLE.rstrip("\n") + "\nstatus:\n" + _laughs(levels=4, width=9)  # 7,380 nodes through aliases
    (tmp_path / "small.yaml").write_text(small)
    found = read_yaml(tmp_path / "small.yaml", "small.yaml")
    assert isinstance(found, list) and found[0]["status"]["l3"][8][8][8][8] == "lol"
    several = "\n---\n".join([small] * 3)  # the budget is per document
    assert [len(d["status"]) for d in yaml.safe_load_all(several)] == [4, 4, 4]
    (tmp_path / "several.yaml").write_text(several)
    assert isinstance(read_yaml(tmp_path / "several.yaml", "several.yaml"), list)


def test_a_file_over_the_size_limit_is_refused_at_once(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text("# padding\n" * (MAX_BYTES // 10 + 1) + EXAMPLE)
    started = time.perf_counter()
    scan = check_file(tmp_path / "big.yaml", "big.yaml")
    assert time.perf_counter() - started < 0.5
    (problem,) = scan.errors
    assert problem.line == 1 and "MiB" in problem.message and "4 MiB" in problem.message


def test_yaml_syntax_errors_name_the_line_once_in_our_words(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: pledge.dev/v1alpha1\nmetadata: {name: x\nspec:\n  service: [a\n")
    (problem,) = check_file(tmp_path / "bad.yaml", "bad.yaml").errors
    assert problem.line == 3
    assert problem.message.startswith("not valid YAML: ") and "<unicode string>" not in problem.message
    assert "line 3" not in problem.message and "line 2" in problem.message, problem.message  # the flow mapping's start
    with pytest.raises(SpecError) as caught:
        parse_yaml((tmp_path / "bad.yaml").read_text(), "bad.yaml")
    (text,) = caught.value.problems
    assert "<unicode string>" not in text and "line 3, column" in text, text


def test_the_fuzzed_bomb_shapes_are_all_refused_or_read_quickly() -> None:
    bases = [yaml.safe_load(f.read_text()) for f in files("pledge").joinpath("examples").iterdir() if f.name.endswith(".yaml")]
    chooser = RandomChooser(7)
    for index in range(60):
        text = bomb(bases, chooser, index)
        started = time.perf_counter()
        outcome = classify(text)
        assert time.perf_counter() - started < 1, text[:500]
        assert outcome.kind in ("rejected", "accepted"), (outcome.error, text[:500])
