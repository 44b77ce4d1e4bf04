"""The decision core imports no web, bot or database code (conventions.md, rule 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import eligibility

FORBIDDEN = {
    "api",
    "bot",
    "db",
    "batch",
    "cli",
    "litestar",
    "sqlmodel",
    "sqlalchemy",
    "telegram",
    "alembic",
    "httpx",
    "requests",
    "asyncpg",
    "aiosqlite",
    "socket",
    "urllib",
}


def test_the_core_imports_nothing_from_the_doors() -> None:
    package = Path(eligibility.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
