"""The direction of imports stated in docs/architecture.md holds in the code: the table there is the rule."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("app", "dispatch", "sla", "config")
ENGINES = ("sla", "dispatch", "config")
FLOOR = "floor"
# What a pure engine may never import: a web framework, an ORM, a database or message-queue driver.
FRAMEWORKS = frozenset({"flask", "flask_socketio", "flask_babel", "sqlalchemy", "werkzeug", "psycopg", "redis"})


@dataclass(frozen=True)
class Rules:
    allowed: dict[str, frozenset[str]]  # unit -> units it may import (besides itself)
    floor: frozenset[str]  # the floor's modules

    def unit_of(self, module: str) -> str | None:
        """The unit a module belongs to: a floor module, the longest listed package prefix, or None."""
        if module in self.floor:
            return FLOOR
        # `app` names the composition root (app/__init__.py) only: a new module of app/ must be given a row.
        packages = [unit for unit in self.allowed if unit not in (FLOOR, "app")]
        candidates = [unit for unit in packages if module == unit or module.startswith(unit + ".")]
        if module == "app":
            return "app"
        return max(candidates, key=len) if candidates else None


def read_rules(text: str) -> Rules:
    """Parse the table after the `import-rules` marker in docs/architecture.md."""
    table = text.split("<!-- import-rules", 1)[1].split("\n", 1)[1].split("\n\n", 1)[0]
    allowed: dict[str, frozenset[str]] = {}
    floor: frozenset[str] = frozenset()
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("unit", "") or set(cells[0]) <= {"-"}:
            continue
        unit, listed = cells
        names = frozenset(re.findall(r"[a-z_][a-z0-9_.]*", listed)) if not listed.startswith("(") else frozenset()
        if unit == FLOOR:
            floor = names
            allowed[unit] = frozenset({*ENGINES, FLOOR})
        elif listed.startswith("(everything"):
            allowed[unit] = frozenset({"*"})
        else:
            allowed[unit] = names | (frozenset(ENGINES) if unit.startswith("app") else frozenset())
    return Rules(allowed=allowed, floor=floor)


RULES = read_rules(DOC.read_text(encoding="utf-8"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module this file imports, at any depth of the file (function-level imports too)."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            for alias in node.names:
                # `from app import phones` imports the module app.phones, not what app/__init__.py holds.
                submodule = f"{base}.{alias.name}"
                found.add(submodule if _ours(submodule) == submodule else base)
    return found


def _ours(module: str) -> str | None:
    """The module of ours an imported name refers to (trimming names imported from a module), or None."""
    if module.split(".")[0] not in PACKAGES:
        return None
    parts = module.split(".")
    while parts:
        candidate = ".".join(parts)
        if (ROOT / Path(*parts)).with_suffix(".py").exists() or (ROOT / Path(*parts) / "__init__.py").exists():
            return candidate
        parts.pop()
    return None


SOURCES = sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[str(path.relative_to(ROOT)) for path in SOURCES])
def test_imports_follow_the_stated_direction(path: Path) -> None:
    me = RULES.unit_of(_module_name(path))
    assert me is not None, f"{_module_name(path)} belongs to no unit of the table in docs/architecture.md"
    allowed = RULES.allowed[me]
    wrong = set()
    for module in filter(None, map(_ours, _imports(path))):
        target = RULES.unit_of(module)
        if target == me or "*" in allowed:
            continue
        if target is None or target not in allowed:
            wrong.add(f"{module} ({target or 'no unit'})")
    assert not wrong, f"{_module_name(path)} ({me}) may not import: {', '.join(sorted(wrong))}"


ENGINE_SOURCES = [path for path in SOURCES if path.relative_to(ROOT).parts[0] in ("sla", "dispatch")]


@pytest.mark.parametrize("path", ENGINE_SOURCES, ids=[str(path.relative_to(ROOT)) for path in ENGINE_SOURCES])
def test_engines_import_no_framework_and_no_database(path: Path) -> None:
    roots = {module.split(".")[0] for module in _imports(path)}
    assert not (roots & FRAMEWORKS), f"{path.name} imports {sorted(roots & FRAMEWORKS)}"


def test_the_rules_catch_an_upward_import() -> None:
    """The checker itself: a floor module importing a service, or an engine importing app/, is refused."""
    assert RULES.unit_of("app.audit") == FLOOR
    assert RULES.unit_of("app.cases.intake") == "app.cases"
    assert "app.cases" not in RULES.allowed[FLOOR]
    assert "app" not in RULES.allowed["sla"] and RULES.unit_of("app.models") not in RULES.allowed["dispatch"]
    assert "app.realtime" not in RULES.allowed["app.cases"]
    assert "app.cases" not in RULES.allowed["app.alerting"]


def test_every_unit_in_the_table_exists() -> None:
    missing = [unit for unit in RULES.allowed if unit != FLOOR and _ours(unit) != unit]
    missing += [module for module in RULES.floor if _ours(module) != module]
    assert not missing, f"docs/architecture.md names units with no code: {missing}"
