"""The layers of ADR 0016, enforced on the import graph of ``src/detente`` (relative imports resolved, imports inside
functions included).

Each module belongs to a component (``detente.<component>``; the package's own ``__init__`` is ``detente``). A
component may import only the components its row of :data:`LAYERS` names, and a framework only where
:data:`FRAMEWORKS` allows it. So: capability cores never import the database, the services or the shells; the
database never imports the services or the shells; the shells (web, CLI) import neither the database nor the access
model — they translate, and every use case with its access decision and its writes is in ``detente.services``. The
graph of modules has no cycle. A self-test injects forbidden imports into a copy of the tree and shows each caught.
"""

from __future__ import annotations

import ast
import shutil
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "detente"

FOUNDATION = ("detente", "errors", "clock", "bounds", "config", "workspace", "spreadsheet", "text")
#: component -> the components it may import (besides itself); the table of ADR 0016
LAYERS: dict[str, frozenset[str]] = {
    "detente": frozenset(),
    "errors": frozenset(),
    "clock": frozenset(),
    "spreadsheet": frozenset(),  # CSV-injection neutralising (ADR 0022)
    "text": frozenset({"errors"}),  # storable text: no NUL, no lone surrogate (ADR 0022)
    "bounds": frozenset({"errors"}),
    "config": frozenset({"errors"}),
    "workspace": frozenset({"errors"}),
    "sealing": frozenset({*FOUNDATION}),  # envelope encryption and the master key's sources (ADR 0024)
    # capability cores: pure computations and their file/DuckDB adapters
    "access": frozenset({"detente", "errors"}),
    "events": frozenset({*FOUNDATION}),
    "warning": frozenset({*FOUNDATION, "events"}),
    "actors": frozenset({*FOUNDATION, "access", "events"}),
    "cbm": frozenset({*FOUNDATION, "access"}),
    "verification": frozenset({*FOUNDATION, "access", "cbm", "events"}),
    # the storage adapter
    "db": frozenset({*FOUNDATION, "access", "actors", "cbm", "sealing", "verification"}),
    # the use cases
    "services": frozenset(
        {*FOUNDATION, "access", "actors", "cbm", "db", "events", "sealing", "verification", "warning"}
    ),
    # the shells: translate input and output, nothing else (no database, no access decision)
    "web": frozenset({*FOUNDATION, "actors", "cbm", "events", "services", "verification", "warning"}),
    "cli": frozenset({*FOUNDATION, "actors", "cbm", "events", "services", "verification", "warning", "web"}),
}
#: framework (module prefix) -> the components that may import it
FRAMEWORKS: dict[str, frozenset[str]] = {
    "sqlalchemy.orm": frozenset({"db", "services"}),  # services hold the session of their one transaction
    "sqlalchemy": frozenset({"db"}),
    "alembic": frozenset({"db"}),
    "fastapi": frozenset({"web"}),
    "starlette": frozenset({"web"}),
    "jinja2": frozenset({"web"}),
    "markupsafe": frozenset({"web"}),
    "typer": frozenset({"cli"}),
    "uvicorn": frozenset({"web", "cli"}),
    "python_multipart": frozenset({"web"}),
}


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _component(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "detente"


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, root: Path, modules: set[str]) -> list[tuple[int, str]]:
    """(line, imported module) for every import of the file, relative ones resolved; ``TYPE_CHECKING`` blocks (read
    by the type checker only) are left out."""
    module = _module(path, root)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for block in ast.walk(tree) if _type_checking(block) for n in ast.walk(block)}
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:  # "from pkg import submodule" depends on the submodule only
                sub = f"{target}.{alias.name}"
                out.append((node.lineno, sub if sub in modules else target))
    return out


def violations(root: Path) -> list[str]:
    files = sorted(root.rglob("*.py"))
    modules = {_module(p, root) for p in files}
    problems: list[str] = []
    graph: dict[str, set[str]] = defaultdict(set)
    for path in files:
        module = _module(path, root)
        component = _component(module)
        assert component in LAYERS, f"{module}: component {component!r} has no row in the layer table"
        for line, target in imports(path, root, modules):
            where = f"{path.relative_to(root.parent)}:{line}"
            if target == "detente" or target.startswith("detente."):
                if target in modules and target != module:
                    graph[module].add(target)
                other = _component(target)
                if other != component and other not in LAYERS[component]:
                    problems.append(f"{where}: {component} may not import {target} ({other})")
                continue
            for framework, allowed in FRAMEWORKS.items():
                if target == framework or target.startswith(framework + "."):
                    if component not in allowed:
                        problems.append(f"{where}: {component} may not import the framework {target}")
                    break
    problems += [f"import cycle: {' -> '.join(c)}" for c in _cycles(graph)]
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_import_graph_follows_the_layer_table() -> None:
    problems = violations(SRC)
    assert not problems, "\n".join(problems)


def test_every_component_has_a_row() -> None:
    components = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    components |= {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"}
    assert components <= set(LAYERS), sorted(components - set(LAYERS))


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "detente"
    shutil.copytree(SRC, root, ignore=shutil.ignore_patterns("__pycache__", "*.html", "*.css", "*.js", "*.csv"))
    return root


def _inject(root: Path, relative: str, line: str) -> None:
    path = root / relative
    path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")


def test_the_check_catches_each_kind_of_forbidden_import(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    assert violations(root) == []
    _inject(root, "cbm/trust.py", "from ..services import notes  # upward, relative")
    _inject(root, "db/notes.py", "from detente.web import pages  # upward")
    _inject(root, "web/pages.py", "from detente.db import users  # a shell reaching the database")
    _inject(root, "cli/verify.py", "def f():\n    from detente.access import decide  # a shell deciding access")
    _inject(root, "actors/model.py", "from detente.verification import reports  # sideways, not in the table")
    _inject(root, "access/labels.py", "import fastapi  # a framework in the core")
    _inject(root, "services/notes.py", "from sqlalchemy import select  # SQL built outside the storage adapter")
    _inject(root, "events/query.py", "from . import store  # fine: inside its own component")
    _inject(root, "events/store.py", "from detente.events import query  # ... and back again: a cycle")
    found = "\n".join(violations(root))
    for expected in (
        "cbm may not import detente.services.notes",
        "db may not import detente.web.pages",
        "web may not import detente.db.users",
        "cli may not import detente.access",
        "actors may not import detente.verification.reports",
        "access may not import the framework fastapi",
        "services may not import the framework sqlalchemy",
        "import cycle: detente.events.query -> detente.events.store",
    ):
        assert expected in found, (expected, found)
    assert "events may not import" not in found


def _shell_findings(root: Path) -> list[str]:
    """What the shells must not do even through what they may import: open a transaction, write the audit trail,
    or look at a caller's access subject (which would be deciding access outside ``detente.access``)."""
    found = []
    for path in sorted([*(root / "web").rglob("*.py"), *(root / "cli").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and node.attr in ("transaction", "subject", "session_id_of"):
                found.append(f"{where}: .{node.attr}")
            elif isinstance(node, ast.Name) and node.id in ("record_audit", "audit"):
                found.append(f"{where}: {node.id}")
    return found


def test_routes_and_commands_only_translate(tmp_path: Path) -> None:
    assert _shell_findings(SRC) == []
    root = _copy(tmp_path)
    _inject(root, "web/pages.py", "def g(ctx, p):\n    with ctx.db.transaction() as s:\n        return p.subject")
    assert len(_shell_findings(root)) == 2


def _wall_clock_uses(root: Path) -> list[str]:
    """Reads of the wall clock in the storage adapter and the services (time comes from the injected clock; the
    only reads allowed are durations — ``time.monotonic`` — and waits — ``time.sleep``)."""
    found = []
    for path in sorted([*(root / "db").rglob("*.py"), *(root / "services").rglob("*.py")]):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                called = node.func
                if called.attr in ("now", "utcnow", "today") or (
                    called.attr == "time" and isinstance(called.value, ast.Name) and called.value.id == "time"
                ):
                    name = ast.unparse(called)
            elif isinstance(node, ast.Name) and node.id in ("system_clock", "utc_now"):
                name = node.id
            if name is not None:
                found.append(f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}: {name}")
    return found


def test_the_database_and_the_services_never_read_the_wall_clock(tmp_path: Path) -> None:
    assert _wall_clock_uses(SRC) == []
    root = _copy(tmp_path)
    _inject(root, "services/notes.py", "def late(clock=None):\n    import datetime\n    return datetime.datetime.now()")
    _inject(root, "db/audit.py", "from detente.clock import system_clock as _c\nDEFAULT = system_clock")
    assert len(_wall_clock_uses(root)) == 2
