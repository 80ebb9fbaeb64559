"""Architecture rule: inner modules never import the shells (web, cli) or web/SQL frameworks.

Walks the import statements of every module under src/detente (DESIGN.md, convention 1).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "detente"

#: packages that are shells or adapters to a framework, and what the rest may not import
SHELLS = ("detente.web", "detente.cli")
FRAMEWORKS = ("fastapi", "starlette", "sqlalchemy", "alembic", "typer", "uvicorn", "jinja2")
#: modules allowed to import frameworks (the storage adapter and the shells themselves)
ALLOWED = {
    "sqlalchemy": ("detente.db", "detente.web", "detente.cli"),
    "alembic": ("detente.db", "detente.cli"),
    "typer": ("detente.cli",),
    "fastapi": ("detente.web",),
    "starlette": ("detente.web",),
    "uvicorn": ("detente.web", "detente.cli"),
    "jinja2": ("detente.web",),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_inner_modules_do_not_import_shells_or_frameworks() -> None:
    problems = []
    modules = sorted(SRC.rglob("*.py"))
    assert modules, "no source files found"
    for path in modules:
        mod = _module_name(path)
        for imported in _imports(path):
            top = imported.split(".")[0]
            if any(imported == s or imported.startswith(s + ".") for s in SHELLS) and not mod.startswith(SHELLS):
                problems.append(f"{mod} imports shell {imported}")
            if top in ALLOWED and not mod.startswith(ALLOWED[top]):
                problems.append(f"{mod} imports framework {imported}")
    assert not problems, "\n".join(problems)


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import fastapi\nfrom detente.cli import app\n")
    assert {"fastapi", "detente.cli"} <= _imports(bad)
