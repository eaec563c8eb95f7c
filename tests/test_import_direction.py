"""The layers import downwards only: core <- (ingest, ml, activation, report; the sample store
also reads activation's group names) <- orchestration <- cli. Parsed from the source, so a new
back-reference fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> project packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "retention.core": set(),
    "retention.ingest": {"retention.core"},
    # the sample store simulates how people react to what syncs sent (holdout groups)
    "retention.sample_store": {"retention.core", "activation"},
    "ml": {"retention.core"},
    "activation": {"retention.core"},
    "retention.report": {"retention.core"},
    "orchestration": {
        "retention.core",
        "retention.ingest",
        "retention.sample_store",
        "retention.report",
        "ml",
        "activation",
    },
}
PROJECT_ROOTS = ("retention", "ml", "activation", "orchestration")


def _layer(module: str) -> str | None:
    """The layer (a key of ALLOWED, or retention.cli) a dotted module name belongs to."""
    for name in sorted([*ALLOWED, "retention.cli"], key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    return None


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every absolute project import in a file, lazy imports included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, mod) for line, mod in found if mod.split(".")[0] in PROJECT_ROOTS]


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_lower_layers(layer: str) -> None:
    folder = ROOT.joinpath(*layer.split("."))
    files = sorted(folder.rglob("*.py"))
    assert files, f"{folder} holds no Python files: the layer map in this test is stale"
    violations = []
    for path in files:
        for line, module in _imports(path):
            target = _layer(module)
            if target is None or target == layer:
                continue
            if target not in ALLOWED[layer]:
                rel = path.relative_to(ROOT)
                violations.append(f"{rel}:{line} imports {module} ({layer} -> {target})")
    assert not violations, "imports against the layer direction:\n" + "\n".join(violations)


def test_every_project_module_belongs_to_a_layer() -> None:
    unmapped = []
    for top in PROJECT_ROOTS:
        for path in (ROOT / top).rglob("*.py"):
            name = _module_name(path)
            if _layer(name) is None and name not in {"retention", "retention.__init__"}:
                unmapped.append(name)
    assert not unmapped, f"modules outside every layer of the map: {unmapped}"
