"""dialog/ stays a pure core: no SDK, no ML or database library, and no dependency on the stand-ins."""

from __future__ import annotations

import ast
from pathlib import Path

DIALOG = Path(__file__).resolve().parents[2] / "dialog"
ALLOWED_THIRD_PARTY = {"yaml"}
OUR_OTHER_PACKAGES = {"atende", "connectors", "classifier", "kb_search", "ticket_core", "tests"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_dialog_imports_only_stdlib_yaml_and_itself() -> None:
    import sys

    for path in DIALOG.glob("*.py"):
        for name in _imports(path):
            assert name not in OUR_OTHER_PACKAGES, f"{path.name} imports {name}"
            assert name in sys.stdlib_module_names or name in ALLOWED_THIRD_PARTY or name in {"dialog"}, (
                f"{path.name} imports third-party {name}")
