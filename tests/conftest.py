"""Shared fixtures: paths to test data and a helper to write small mappings."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "mini"


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


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> path; dedents the text."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write
