"""The four seed data packs: they load and they carry provenance. What ``check`` finds in each, pinned
against its README ("Findings"), is in the pack's own test file (tests/test_pack_<name>.py). Each pack
is loaded once per module.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ics_graph.cli import main
from ics_graph.inputs.loader import load_mapping
from ics_graph.util.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

PACKS = ["cambridgeshire-peterborough", "greater-manchester", "lancashire-south-cumbria", "northamptonshire"]

_ALLOCATIONS_AND_DELEGATIONS = """
SELECT ?x WHERE { { ?x a ics:Allocation } UNION { ?x a ics:Delegation } }
"""
_WITHOUT_SOURCE = """
SELECT ?x WHERE {
  { ?x a ics:Allocation } UNION { ?x a ics:Delegation }
  FILTER NOT EXISTS { ?x dcterms:source ?s }
}
"""


@pytest.fixture(scope="module")
def packs():
    """pack name -> the loaded mapping, or the InputError it raised; each pack loaded at most once."""
    loaded: dict[str, object] = {}

    def load(name: str):
        if name not in loaded:
            try:
                loaded[name] = load_mapping([DATA / name])
            except InputError as exc:
                loaded[name] = exc
        return loaded[name]

    return load


def _mapping(packs, name: str):
    mapping = packs(name)
    if isinstance(mapping, InputError):
        pytest.fail(f"data/{name} does not load:\n{mapping}")
    return mapping


def _defined_in_pack(mapping, iri: str, name: str) -> bool:
    """True when the entity was written in one of the pack's own files (not the catalogue or national frame)."""
    location = mapping.location(iri)
    if location is None:
        return False
    return (DATA / name).resolve() in Path(location.file).resolve().parents


@pytest.mark.parametrize("name", PACKS)
def test_pack_loads_without_input_errors(packs, name):
    assert not isinstance(packs(name), InputError), f"data/{name} does not load:\n{packs(name)}"


@pytest.mark.parametrize("name", PACKS)
def test_every_allocation_and_delegation_of_the_pack_has_a_source(packs, name):
    mapping = _mapping(packs, name)
    own = [
        row["x"] for row in mapping.select(_ALLOCATIONS_AND_DELEGATIONS) if _defined_in_pack(mapping, row["x"], name)
    ]
    assert own, f"no allocation or delegation found in data/{name}'s own files"
    missing = sorted(row["x"] for row in mapping.select(_WITHOUT_SOURCE) if _defined_in_pack(mapping, row["x"], name))
    assert missing == []


def test_national_holdings_above_their_lowest_level_quote_the_statute_that_puts_them_there():
    """NHS England's holdings that give a reason of scale give the statute (data/national/README.md, "Reasons
    of scale"): a legislation source with a locator, and the rationale's quoted words are in that locator, so
    the reason can be checked against the text read."""
    document = yaml.safe_load((DATA / "national" / "nhs-england-functions.yaml").read_text(encoding="utf-8"))
    reasoned = [a for a in document["allocations"] if a.get("level_reason")]
    assert len(reasoned) == 9
    for allocation in reasoned:
        assert allocation["level_reason"] == "statutory-requirement", allocation["function"]
        cited = [
            s["locator"]
            for s in allocation["source"]
            if isinstance(s, dict) and s.get("locator") and s["ref"].startswith(("nat-leg-", "cat-leg-", "nat-dhsc-"))
        ]
        assert cited, f"{allocation['function']}: no legislation source with a locator"
        for quoted in re.findall(r'"([^"]+)"', allocation["rationale"]):
            assert any(quoted in locator for locator in cited), (allocation["function"], quoted)


def _walk_through(readme: Path) -> list[list[str]]:
    """The commands of a pack README's ``sh`` blocks (``.venv/bin/ics-graph ...`` lines)."""
    commands, inside = [], False
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```sh"
            continue
        if inside and line.startswith(".venv/bin/ics-graph "):
            commands.append(shlex.split(line, comments=True)[1:])
    return commands


@pytest.mark.parametrize("pack", PACKS)
def test_each_pack_readme_walk_through_runs_as_written(pack, monkeypatch):
    """A new user types the README's commands from the repository root: each runs, and the
    seed-date and 2023 questions (`where`, `at`, `check --as-of`) and `transition` are there."""
    monkeypatch.chdir(ROOT)
    commands = _walk_through(ROOT / "data" / pack / "README.md")
    asked = {args[0] for args in commands} | {f"{args[0]} --as-of" for args in commands if "--as-of" in args}
    assert {"info", "check", "check --as-of", "where --as-of", "at --as-of", "transition"} <= asked, asked
    for args in commands:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code in (0, 1), (args, result.output)  # 1: check's findings at the fail level
        assert result.output.strip(), args
