"""Shared fixtures: paths to test data, a helper to write small mappings, the programs
some tests drive (Java, Chromium, LibreOffice, Virtuoso), and running the command line in a fresh
process with a chosen hash seed."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from chromium import find_chromium

ROOT = Path(__file__).resolve().parent.parent

#: NHS England's holdings in the national frame (data/national/nhs-england-functions.yaml) that ``check``
#: reports in every pack importing the frame, as (rule, focus id): no statute read for the national frame puts
#: them at national level (data/national/README.md, "Reasons of scale"); the packs' READMEs explain them.
NATIONAL_ABOVE_LOWEST = [
    ("subsidiarity-above-lowest-level", f"allocation/{function}--england--nhs-england--always")
    for function in (
        "dental-services",
        "nhs-oversight-framework",
        "primary-care-networks",
        "specialised-mental-health-provider-collaboratives",
    )
]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "mini"
#: where, at, body and impact answer as of today: the suite's "today" is fixed, so their
#: answers (in this process and in the commands it starts) do not change with the clock.
os.environ["ICS_GRAPH_TODAY"] = "2026-12-05"

# -- programs some tests need ---------------------------------------------------------------
#: axe-core (accessibility rules run in Chromium), pinned in tests/js/package-lock.json and
#: installed there with `npm ci`; used by the tests only, never shipped.
AXE_CORE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"

# marker -> (what it is, the command that installs it, how to find it). `make test` installs
# them (tests/require-tools.sh); `make test-quick` leaves these tests out.
TOOLS = {
    "java": (
        "Java (HermiT, for `ics-graph reason`)",
        "sudo apt-get install -y default-jre-headless",
        lambda: shutil.which("java"),
    ),
    "chromium": ("Chromium (the page in a real browser)", "sudo apt-get install -y chromium", find_chromium),
    "libreoffice": (
        "LibreOffice (workbooks in a real spreadsheet program)",
        "sudo apt-get install -y libreoffice-calc-nogui",
        lambda: shutil.which("soffice") or shutil.which("libreoffice"),
    ),
    "virtuoso": (
        "Virtuoso 7 (a SPARQL server for `--store sparql:`)",
        "sudo apt-get install -y virtuoso-opensource",
        lambda: shutil.which("virtuoso-t") if shutil.which("isql-vt") else None,
    ),
    "axe": (
        "axe-core (accessibility checks in Chromium)",
        "npm ci --prefix tests/js",
        lambda: str(AXE_CORE) if AXE_CORE.is_file() else None,
    ),
}


def in_ci() -> bool:
    """CI sets CI=true (GitHub Actions, GitLab, .ci/run): there nothing may be skipped."""
    return os.environ.get("CI", "").strip().lower() == "true"


@functools.cache
def tool_path(marker: str) -> str | None:
    return TOOLS[marker][2]()


def pytest_report_header(config):
    return "tools: " + ", ".join(f"{marker}={tool_path(marker) or 'MISSING'}" for marker in TOOLS)


def _missing_tools(item) -> list[str]:
    return [marker for marker in TOOLS if item.get_closest_marker(marker) and not tool_path(marker)]


def pytest_runtest_setup(item):
    """Outside CI, a test whose program is missing is skipped, saying how to install it."""
    missing = _missing_tools(item)
    if missing and not in_ci():
        what, install, _ = TOOLS[missing[0]]
        pytest.skip(f"{what} is not installed: {install}")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """In CI (CI=true) a test whose program is missing fails instead: CI runs every test."""
    missing = _missing_tools(item)
    if missing:
        names = "; ".join(TOOLS[m][0] for m in missing)
        installs = "; ".join(TOOLS[m][1] for m in missing)
        pytest.fail(f"{names}: not installed, and in CI (CI=true) no test is skipped: {installs}", pytrace=False)


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _load_cache(tmp_path_factory):
    """The load cache lives in a folder of the test session, never the user's ~/.cache.
    It stays on, so commands run twice on the same files also test reading it back."""
    before = os.environ.get("ICS_GRAPH_CACHE")
    os.environ["ICS_GRAPH_CACHE"] = str(tmp_path_factory.mktemp("load-cache"))
    yield
    if before is None:
        os.environ.pop("ICS_GRAPH_CACHE", None)
    else:
        os.environ["ICS_GRAPH_CACHE"] = before


def load_outcome(paths, **options):
    """What a load gives, as data to compare: its graph, locations, sources, files and
    expansions (without the ontology), or its errors as text."""
    from ics_graph.inputs.loader import load_mapping
    from ics_graph.util.errors import InputError

    try:
        mapping = load_mapping(paths, with_ontology=False, **options)
    except InputError as error:
        return [str(problem) for problem in error.problems]
    return (
        sorted(str(quad) for quad in mapping.store),
        sorted(mapping.locations.items()),
        sorted((graph, sorted(own.items())) for graph, own in mapping.sources.items()),
        mapping.files,
        mapping.expansions,
    )


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> path; dedents the text."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


# -- the command line in separate processes -------------------------------------------------

HASH_SEEDS = ("1", "2")


def cli_process(*args, seed: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m ics_graph ARGS`` in a fresh process with PYTHONHASHSEED=seed and the load
    cache off (a cached graph would make two runs trivially equal). Output is bytes."""
    environment = {**os.environ, **(env or {}), "PYTHONHASHSEED": seed, "ICS_GRAPH_CACHE": "off"}
    return subprocess.run(
        [sys.executable, "-m", "ics_graph", *map(str, args)], cwd=cwd, env=environment, capture_output=True, check=False
    )


def python_process(code: str, *args, seed: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python -c CODE ARGS`` in a fresh process with PYTHONHASHSEED=seed; checked, output bytes."""
    environment = {**os.environ, "PYTHONHASHSEED": seed, "ICS_GRAPH_CACHE": "off"}
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], cwd=cwd, env=environment, capture_output=True, check=True
    )


# -- the checkout ---------------------------------------------------------------------------

NOT_SOURCE = (".git", ".venv", "out", "build", "*.egg-info", "__pycache__", ".pytest_cache", "artifacts")


def checkout_files() -> list[str] | None:
    """The checkout's files as git sees them: tracked, plus new files not ignored (what the
    next commit would hold); None when this is not a git work tree."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return sorted({name for name in listed.decode().split("\0") if name})


def copy_checkout(target: Path) -> Path:
    """Copy the checkout's source files into target (symbolic links kept): git's list, or
    without git everything but .git, .venv, build output and caches."""
    names = checkout_files()
    if names is None:
        shutil.copytree(ROOT, target, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
        return target
    for name in names:
        source = ROOT / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet in the index
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination, follow_symlinks=False)
    return target
