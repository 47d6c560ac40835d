"""The shape of the code: what the import contracts cannot see, and that they hold.

import-linter (configured in pyproject.toml, run by `make lint` and pre-commit) checks the
layers, that there are no cycles and where heavy libraries may be used. It sees imports
inside functions too, but a deferred import of the project's own module is how a cycle
hides from a reader, so below the command line the project's modules import each other
at the top; these tests hold that, and the one exception hierarchy.
"""

from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import ics_graph
from ics_graph.util import errors

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ics_graph"
# The command line imports each command's use case when it runs (nothing imports the
# command line, so nothing is hidden); the package's lazy re-exports keep `import
# ics_graph.util.errors` from loading the loader.
DEFERRED_ALLOWED = {PACKAGE / "cli.py", PACKAGE / "__init__.py"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _deferred_project_imports(source: str, name: str) -> list[str]:
    """``name:line`` of each import of the project's own modules inside a function or class."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.ImportFrom) and (inner.level or (inner.module or "").startswith("ics_graph"))
            ) or (isinstance(inner, ast.Import) and any(a.name.startswith("ics_graph") for a in inner.names)):
                found.append(f"{name}:{inner.lineno}")
    return found


def test_the_projects_own_modules_import_each_other_at_the_top():
    deferred = [
        hit
        for path in _modules()
        if path not in DEFERRED_ALLOWED
        for hit in _deferred_project_imports(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert deferred == []


def test_the_check_finds_a_deferred_import():
    """The test above would catch one (it is not vacuous)."""
    source = "import os\n\ndef f():\n    from ics_graph.model import graph\n    import json\n    return graph\n"
    assert _deferred_project_imports(source, "sample.py") == ["sample.py:4"]


def test_no_relative_imports():
    relative = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                relative.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert relative == []


def test_every_error_a_user_can_fix_is_one_kind_of_ics_graph_error():
    """One hierarchy, mapped to exit code 2 in one place (the CLI's group)."""
    import importlib
    import pkgutil

    classes = set()
    for info in pkgutil.walk_packages(ics_graph.__path__, "ics_graph."):
        if info.name in ("ics_graph.__main__",):
            continue
        module = importlib.import_module(info.name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Exception) and value.__module__.startswith("ics_graph"):
                classes.add(value)
    assert {c.__name__ for c in classes} >= {
        "InputError",
        "UsageError",
        "StoreError",
        "QueryError",
        "ReasoningError",
        "NoMatch",
        "Ambiguous",
    }
    assert all(issubclass(c, errors.IcsGraphError) for c in classes), sorted(
        c.__name__ for c in classes if not issubclass(c, errors.IcsGraphError)
    )


def test_the_command_line_maps_errors_to_exit_codes_in_one_place():
    """Commands do not catch the library's errors one by one: the group does."""
    source = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    assert source.count("except IcsGraphError") == 2  # the group's handler, and sparql naming its query file
    assert source.count("except InputError") == 1
    assert "except ValueError" not in source


def test_the_import_contracts_hold():
    """import-linter comes with the test extras (pip install -e '.[test]')."""
    beside = Path(sys.executable).parent / "lint-imports"
    tool = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert tool, "lint-imports is missing: pip install -e '.[test]'"
    result = subprocess.run([tool, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "BROKEN" not in result.stdout and "Contracts: 7 kept, 0 broken." in result.stdout


def test_there_is_no_top_level_cli_module_in_an_install():
    """The command is packaged as ics_graph.cli; the top-level cli.py is a link to it."""
    assert (ROOT / "cli.py").is_symlink()
    assert (ROOT / "cli.py").resolve() == PACKAGE / "cli.py"
