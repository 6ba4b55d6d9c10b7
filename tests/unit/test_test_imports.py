"""The tests' own layout: shared test code lives in tests.support, and nothing under tests/ imports a
test module or a conftest (pytest loads those; importing one runs its tests twice or couples suites)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def imported(path: Path, text: str | None = None) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in ``path`` (or in ``text``, as if it sat there), function-level
    ones included, relative ones resolved; `from tests import x` names ``tests.x``."""
    package = path.relative_to(TESTS.parent).with_suffix("").parts[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text, str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            if node.module is None or module == "tests":
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return sorted(found)


def allowed(module: str) -> bool:
    return module.split(".")[0] != "tests" or module.startswith("tests.support.") or module == "tests.support"


def test_test_code_imports_shared_code_from_tests_support_only() -> None:
    offenders = [f"{path.relative_to(TESTS.parent)}:{line}: {module}"
                 for path in sorted(TESTS.rglob("*.py")) for line, module in imported(path) if not allowed(module)]
    assert not offenders, "move what these share into tests/support:\n" + "\n".join(offenders)


def test_the_check_sees_every_kind_of_import() -> None:
    source = ("import tests.api.test_figures\nfrom tests.e2e.conftest import Cluster\nfrom tests.api import world\n"
              "from .conftest import x\nfrom . import test_units\nfrom tests import unit\nfrom tests.support.world import World\n"
              "from tests.support import slas\nimport pytest\ndef f() -> None:\n    from tests.unit.test_crd import SCHEMA\n")
    modules = [module for _, module in imported(TESTS / "api" / "probe.py", source)]
    assert [m for m in modules if not allowed(m)] == [
        "tests.api.test_figures", "tests.e2e.conftest", "tests.api", "tests.api.conftest", "tests.api.test_units",
        "tests.unit", "tests.unit.test_crd"]
    assert [m for m in modules if allowed(m)] == ["tests.support.world", "tests.support", "pytest"]
