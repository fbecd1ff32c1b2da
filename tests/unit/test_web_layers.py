"""web/ is a surface over backend/: it runs no queries of its own and knows no conversation, so it imports
neither storage.models nor handlers (anywhere in a module, function bodies included)."""
from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
FORBIDDEN = ("storage.models", "handlers")


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_web_imports_no_models_and_no_handlers():
    offences = {f"{path.name}: {name}" for path in WEB.rglob("*.py") for name in imported(path)
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}
    assert not offences, sorted(offences)
