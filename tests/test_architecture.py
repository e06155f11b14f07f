"""The import rule: the domain is pure (standard library and itself only)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "thriives"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = {}
    for path in sorted((PACKAGE / "domain").rglob("*.py")):
        bad = {
            name
            for name in imports_of(path)
            if name.split(".")[0] not in sys.stdlib_module_names and not name.startswith("thriives.domain")
        }
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_the_domain_never_reads_the_clock() -> None:
    offenders = [
        path.name
        for path in (PACKAGE / "domain").rglob("*.py")
        if any(
            call in path.read_text(encoding="utf-8")
            for call in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time(")
        )
    ]
    assert offenders == []


def test_only_the_composition_root_reads_settings() -> None:
    readers = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "Settings(" in path.read_text(encoding="utf-8")
        and path.name not in {"settings.py", "bootstrap.py"}
    ]
    assert readers == ["adapters/cli/main.py"]  # the CLI passes its flags to build()
