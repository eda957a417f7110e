"""The pure modules stay pure: no Flask, no SQLAlchemy, no app imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = [
    *sorted((ROOT / "sla").glob("*.py")),
    ROOT / "dispatch" / "routing.py",
    ROOT / "dispatch" / "ladder.py",
    ROOT / "app" / "vocabulary.py",
]
# sla/sweep.py is where the SLA engine meets the database, by design.
PURE = [path for path in PURE if path.name not in ("sweep.py", "scheduler.py")]
FORBIDDEN = ("flask", "sqlalchemy", "app", "werkzeug", "psycopg")


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", PURE, ids=[str(path.relative_to(ROOT)) for path in PURE])
def test_pure_module_imports_no_framework(path: Path) -> None:
    assert not (_imported_roots(path) & set(FORBIDDEN)), f"{path.name} imports {_imported_roots(path) & set(FORBIDDEN)}"
