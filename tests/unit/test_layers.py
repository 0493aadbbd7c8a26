"""The layout's promises, checked on the source: the engine knows no web framework and no entry
point, and one entry point never borrows another's code (what two share lives below them all).

A page and its API counterpart must mean the same thing because both call the engine, not because
one calls the other's view module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = ("api", "admin", "portal", "studio")
OURS = ("engine", "renderers", "signing", "thongthin", *ENTRY_POINTS)
ALLOWED: set[tuple[str, str]] = set()  # (package, module) an entry point may borrow, with the reason


def imports_of(package: str) -> list[tuple[str, str]]:
    """``(file, module)`` for every absolute import in ``package``, those inside functions too."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            found += [(str(path.relative_to(ROOT)), module) for module in modules]
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_engine_knows_no_web_framework_and_no_entry_point():
    refused = {"flask", "werkzeug", *OURS} - {"engine"}
    wrong = [f"{file}: {module}" for file, module in imports_of("engine") if top(module) in refused]
    assert not wrong, "engine/ must stay framework-free:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", ENTRY_POINTS)
def test_an_entry_point_borrows_nothing_from_another(package: str):
    others = set(ENTRY_POINTS) - {package}
    wrong = [
        f"{file}: {module}"
        for file, module in imports_of(package)
        if top(module) in others and (package, module) not in ALLOWED
    ]
    assert not wrong, f"{package}/ imports another entry point's code (move it below them):\n" + "\n".join(
        wrong
    )


def test_the_checks_see_imports_inside_functions_too():
    # document_tenant imports the renderer inside the function, so the worker starts without it.
    runners = [module for file, module in imports_of("thongthin") if file == "thongthin/runners.py"]
    assert "renderers.documents" in runners and "engine.services" in runners
