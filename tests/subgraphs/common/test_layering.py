"""``subgraphs/common`` is shared by every service and so imports none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import subgraphs.common
from subgraphs.registry import SERVICES

COMMON = Path(subgraphs.common.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_common_imports_no_service() -> None:
    services = tuple(f"subgraphs.{name}" for name in SERVICES)
    offenders = {
        str(path.relative_to(COMMON)): sorted(
            name for name in imported_modules(path) if name.startswith(services)
        )
        for path in sorted(COMMON.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}
