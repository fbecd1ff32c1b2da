"""The layers of DESIGN.md, checked on every module's imports (parsed, not run), lazy imports included:

    bot/, web/, cli/, main.py  ->  handlers  ->  backend  ->  storage;   handlers -> nlp

Nothing imports upward; nlp/ imports no other package of ours; backend/ never imports bot, web, cli or
handlers; web/ imports no handlers; handlers/ and web/ import no `storage.models` (their queries belong in
backend/)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"bot", "web", "cli", "main", "handlers", "backend", "storage", "nlp"}
TOP = {"bot", "web", "cli", "main"}
# What each layer may import of ours (its own package included).
ALLOWED = {
    **{top: OURS for top in TOP},
    "web": OURS - {"handlers"},  # a surface over backend/: it knows no conversation
    "handlers": {"handlers", "backend", "storage", "nlp"},
    "backend": {"backend", "storage"},
    "storage": {"storage"},
    "nlp": {"nlp"},
}
NO_MODELS = {"handlers", "web"}  # they reach the database through backend/ functions


def modules() -> list[Path]:
    found = [ROOT / "main.py"]
    for package in OURS - {"main"}:
        found += [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    return sorted(found)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in the module, absolute ones resolved from relative ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[:len(package) - node.level + 1], base]).strip(".")
            found += [(node.lineno, f"{base}.{alias.name}" if base else alias.name) for alias in node.names]
    return found


def layer_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def violations(paths: list[Path] | None = None) -> list[str]:
    found = []
    for path in paths if paths is not None else modules():
        layer = layer_of(path)
        for line, name in imports(path):
            target = name.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if target in OURS and target not in ALLOWED[layer]:
                found.append(f"{where} ({layer} may not import {target})")
            elif layer in NO_MODELS and (name == "storage.models" or name.startswith("storage.models.")):
                found.append(f"{where} ({layer} queries through backend/, not storage.models)")
    return found


def test_every_import_goes_downward():
    assert violations() == []


@pytest.mark.parametrize("layer, line, allowed", [
    ("nlp", "from backend import cases", False),
    ("backend", "from bot.config import Settings", False),
    ("backend", "import handlers.texts", False),
    ("storage", "from backend.cases import Case", False),
    ("handlers", "from storage.models import Case", False),
    ("web", "from storage.models import Staff", False),
    ("web", "from storage import models", False),
    ("web", "from handlers import texts", False),
    ("handlers", "def f():\n    from storage.models import Case", False),
    ("handlers", "from backend import cases", True),
    ("bot", "from storage.db import Database", True),
])
def test_the_checker_catches_each_kind_of_upward_import(layer, line, allowed):
    """A module written in each layer with one import: the rules above see what they should."""
    probe = ROOT / layer / "_layer_probe.py"
    probe.write_text(line + "\n", encoding="utf-8")
    try:
        found = violations([probe])
    finally:
        probe.unlink()
    assert (found == []) == allowed, found
