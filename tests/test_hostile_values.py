"""Hostile and awkward values in YAML and RDF (issue 22: "nothing is dropped silently",
"no traceback from input"). Each value the format cannot hold is an input error at its
file and line, or is normalised as documented (a midnight time dropped from a date); no
entity ever goes missing. The census at the end counts every fixture's and pack's
entities against its source text, so a dropped entity fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, MINI, ROOT

from ics_graph.inputs.loader import load_mapping
from ics_graph.inputs.yamlsource import LARGEST_FILE
from ics_graph.model import vocabulary as v
from ics_graph.model.schema import LONGEST_ID, LONGEST_TEXT, SECTIONS
from ics_graph.util.errors import InputError

ALLOCATION = v.ICS + "Allocation"
DELEGATION = v.ICS + "Delegation"


def _mini(tmp_path: Path, old: str, new: str, file: str = "mapping.yaml") -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def _problems(folder: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_mapping([folder])
    return [str(problem) for problem in caught.value.problems]


def _of_type(mapping, cls: str) -> list[str]:
    rows = mapping.store.query(f"SELECT DISTINCT ?e WHERE {{ GRAPH ?g {{ ?e a <{cls}> }} }}")
    return sorted(row["e"].value for row in rows)


# -- dates with times: an error at the value, or the date itself at midnight ---------------


@pytest.mark.parametrize(
    "written",
    [
        "2022-07-01T10:00:00",
        "2022-07-01 10:00:00",
        "2022-07-01 10:00",
        "'2022-07-01T10:00'",
        "2022-07-01 10 people",
        "'2022-07-01x'",
        "1656662400",
    ],
)
def test_a_date_with_a_time_of_day_or_junk_is_an_error_at_the_value(tmp_path, written):
    folder = _mini(
        tmp_path, "    effective_from: 2022-07-01\n    rationale", f"    effective_from: {written}\n    rationale"
    )
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder / 'mapping.yaml'}:48:21: 'effective_from' must be a date (YYYY-MM-DD)")


@pytest.mark.parametrize(
    ("section", "old"),
    [
        ("allocations", "    effective_from: 2022-07-01\n    rationale"),
        ("delegations", "    instrument: s65z5-delegation\n    effective_from: 2022-07-01"),
    ],
)
@pytest.mark.parametrize("written", ["2022-07-01T00:00:00", "'2022-07-01 '", "'2022-07-01T00:00:00'", "2022-07-01"])
def test_a_date_at_midnight_or_with_spaces_keeps_its_entity_and_id(tmp_path, section, old, written):
    folder = _mini(tmp_path, old, old.replace("2022-07-01", written))
    mapping = load_mapping([folder])
    expected = {
        "allocations": (ALLOCATION, "allocation/chc--shire--shire-icb--2022-07-01"),
        "delegations": (DELEGATION, "delegation/pms--nhs-england--shire-icb--shire--2022-07-01"),
    }[section]
    assert v.ID + expected[1] in _of_type(mapping, expected[0])
    rows = mapping.store.query(f"SELECT ?d WHERE {{ GRAPH ?g {{ <{v.ID}{expected[1]}> <{v.ICS}effectiveFrom> ?d }} }}")
    assert [row["d"].value for row in rows] == ["2022-07-01"]


def test_text_that_starts_like_a_date_is_text(tmp_path):
    """Defect 3: 'YYYY-MM-DD more text' crashed in the timestamp path; it is text, kept as written."""
    old = '    rationale: "scale"'
    new = '    rationale: "scale"\n    notes: 2022-07-01 10 people attended'
    mapping = load_mapping([_mini(tmp_path, old, new)])
    rows = mapping.store.query(
        f"SELECT ?n WHERE {{ GRAPH ?g {{ ?a a <{ALLOCATION}> ; <{v.PREFIXES['skos']}note> ?n }} }}"
    )
    assert [row["n"].value for row in rows] == ["2022-07-01 10 people attended"]


def test_a_timestamp_in_a_text_field_keeps_its_text_as_written(tmp_path):
    folder = _mini(tmp_path, '    rationale: "scale"', '    rationale: "scale"\n    notes: 2022-07-01 10:00:00')
    mapping = load_mapping([folder])
    rows = mapping.store.query(
        f"SELECT ?n WHERE {{ GRAPH ?g {{ ?a a <{ALLOCATION}> ; <{v.PREFIXES['skos']}note> ?n }} }}"
    )
    assert [row["n"].value for row in rows] == ["2022-07-01 10:00:00"]


# -- values of the wrong shape ------------------------------------------------------------


def test_a_code_is_one_text_value(tmp_path):
    problems = _problems(_mini(tmp_path, "ods: QXX", "ods: [1, 2]"))
    assert problems == [f"{tmp_path / 'mini' / 'mapping.yaml'}:9:34: 'codes: ods' must be one text value, got a list"]


@pytest.mark.parametrize("written", ["true", "1.5", "2022-07-01", "[a, b]", "{a: b}"])
def test_an_id_must_be_text(tmp_path, written):
    problems = _problems(_mini(tmp_path, "  - id: shire-north\n", f"  - id: {written}\n"))
    assert f"{tmp_path / 'mini' / 'mapping.yaml'}:11:9: 'id' must be text" in "\n".join(problems), problems


def test_a_category_without_letters_or_digits_is_an_error(tmp_path):
    problems = _problems(_mini(tmp_path, "category: Commissioning", "category: '---'", file="catalogue.yaml"))
    assert problems == [
        f"{tmp_path / 'mini' / 'catalogue.yaml'}:9:15: 'category' must hold a letter or digit (ASCII), got '---'"
    ]


# -- characters and lengths -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "named"),
    [
        ('"North\\x00Shire"', "U+0000 (NUL)"),
        ('"North\\aShire"', "U+0007 (BEL)"),
        ('"North\\eShire"', "U+001B (ESC)"),
        ("North\u202eShire", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("North\u2066Shire", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    ],
)
def test_control_characters_and_direction_overrides_in_yaml_text_are_errors(tmp_path, written, named):
    problems = _problems(_mini(tmp_path, "name: North Shire", f"name: {written}"))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{tmp_path / 'mini' / 'mapping.yaml'}:12:11: 'name': text holds the character")
    assert named in problems[0]


def test_tabs_and_line_breaks_in_text_are_fine(tmp_path):
    load_mapping([_mini(tmp_path, "name: North Shire", 'name: "North\\tShire\\r\\nand more"')])


def test_an_over_long_yaml_text_is_an_error_naming_the_limit(tmp_path):
    """Defect 9: a text over 16 MiB crashed in the RDF store (MemoryError)."""
    folder = _mini(tmp_path, 'rationale: "scale"', "rationale: " + "a" * (17 * 2**20))
    problems = _problems(folder)
    assert problems == [
        f"{folder / 'mapping.yaml'}:49:16: 'rationale': text of {17 * 2**20:,} characters is longer than the limit "
        f"of {LONGEST_TEXT:,} characters"
    ]


def test_yaml_text_at_the_limit_loads(tmp_path):
    load_mapping([_mini(tmp_path, 'rationale: "scale"', "rationale: " + "a" * LONGEST_TEXT)])


TTL_HEAD = (
    "@prefix ics: <https://w3id.org/ics-graph/ontology#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "@prefix id: <https://w3id.org/ics-graph/id/> .\n\n"
)


def _rdf(tmp_path: Path, body: str, name: str = "extra.ttl") -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    (folder / name).write_text(TTL_HEAD + body, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("iri", "why"),
    [
        ("<https://w3id.org/ics-graph/id/foo/bar>", "unknown kind 'foo'"),
        ("<https://w3id.org/ics-graph/id/area/>", "the id after the kind is empty"),
        ("<https://w3id.org/ics-graph/id/area/a/b>", "'a/b' is not an id"),
        ("<https://w3id.org/ics-graph/id/areas>", "unknown kind 'areas'"),
    ],
)
def test_rdf_entity_iris_must_be_kind_and_id(tmp_path, iri, why):
    folder = _rdf(tmp_path, f'\n{iri} a ics:Area ;\n  rdfs:label "X" .\n')
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder / 'extra.ttl'}:6: entity IRI {iri} is not of the form"), problems
    assert why in problems[0]


def test_a_malformed_entity_iri_in_object_position_is_reported_at_its_subject(tmp_path):
    body = '<https://w3id.org/ics-graph/id/area/zz> a ics:Area ;\n  rdfs:label "Z" ;\n  ics:partOf <https://w3id.org/ics-graph/id/are/shire> .\n'
    folder = _rdf(tmp_path, body)
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder / 'extra.ttl'}:5: entity IRI <https://w3id.org/ics-graph/id/are/shire>")
    assert "(did you mean 'area'?)" in problems[0]


@pytest.mark.parametrize(
    ("literal", "named"),
    [
        ('"bell\\u0007"', "U+0007 (BEL)"),
        ('"nul\\u0000"', "U+0000 (NUL)"),
        ('"North\u202eShire"', "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ('"back\\bspace"', "U+0008 (BACKSPACE)"),
    ],
)
def test_control_characters_in_rdf_literals_are_errors_at_the_subject(tmp_path, literal, named):
    folder = _rdf(tmp_path, f"<https://w3id.org/ics-graph/id/area/zz> a ics:Area ;\n  rdfs:label {literal} .\n")
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder / 'extra.ttl'}:5: area 'zz': its label text holds the character"), problems
    assert named in problems[0]


def test_an_rdf_literal_over_the_parsers_limit_is_an_error(tmp_path):
    """Defect 9: a literal over 16 MiB crashed Oxigraph's parser (MemoryError)."""
    text = ("a" * 70 + "\n") * (17 * 2**20 // 71)
    folder = _rdf(tmp_path, f'<https://w3id.org/ics-graph/id/area/zz> a ics:Area ;\n  rdfs:label """{text}""" .\n')
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder / 'extra.ttl'}:6:17: a term (a literal or an IRI) here is longer")
    assert "16 MiB" in problems[0]


def test_an_rdf_literal_over_the_text_limit_is_an_error(tmp_path):
    folder = _rdf(
        tmp_path, f'<https://w3id.org/ics-graph/id/area/zz> a ics:Area ;\n  rdfs:label "{"a" * (LONGEST_TEXT + 1)}" .\n'
    )
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder / 'extra.ttl'}:5: area 'zz': its label text of 1,000,001 characters")


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="file names there are always Unicode")
def test_a_file_name_that_is_not_utf8_is_an_input_error(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    os.rename(folder / "mapping.yaml", os.fsencode(folder) + b"/map\xffping.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "ics_graph", "check", str(folder)], cwd=ROOT, capture_output=True, check=False
    )
    assert result.returncode == 2, result.stderr
    stderr = result.stderr.decode("utf-8")
    assert f"error: {folder}/map\\xffping.yaml: this name is not valid UTF-8" in stderr
    assert "Traceback" not in stderr


def test_an_over_long_id_is_an_error_naming_the_limit(tmp_path):
    """An id of 17 MiB crashed the RDF store (MemoryError); any id over the limit is refused."""
    folder = _mini(tmp_path, "  - id: shire-north\n", f"  - id: {'n' * (LONGEST_ID + 1)}\n")
    problems = _problems(folder)
    assert problems[0] == (
        f"{folder / 'mapping.yaml'}:11:9: id of {LONGEST_ID + 1} characters is longer than the limit of "
        f"{LONGEST_ID} characters"
    )
    extra = folder / "extra.yaml"
    extra.write_text(f"areas:\n  - {{id: {'n' * 17 * 2**20}, name: X, level: place, part_of: shire}}\n")
    assert f"{extra}:2:10: id of 17,825,792 characters is longer than the limit" in "\n".join(_problems(folder))


def test_an_rdf_entity_id_over_the_limit_is_an_error(tmp_path):
    iri = f"<{v.ID}area/{'z' * (LONGEST_ID + 1)}>"
    folder = _rdf(tmp_path, f'\n{iri} a ics:Area ;\n  rdfs:label "X" .\n')
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder / 'extra.ttl'}:6: entity IRI <{v.ID}area/zzz")
    assert f"its id of {LONGEST_ID + 1} characters is longer than the limit of {LONGEST_ID}" in problems[0]


def test_a_yaml_file_over_the_limit_is_refused_before_it_is_parsed(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    (folder / "notes.yaml").write_text("# " + "x" * LARGEST_FILE + "\n", encoding="utf-8")
    problems = _problems(folder)
    assert problems == [
        f"{folder / 'notes.yaml'}: this YAML file is 32.0 MiB, larger than the limit of {LARGEST_FILE // 2**20} MiB "
        "for one file: split the mapping into several files (in a folder, or with imports:)"
    ]


@pytest.mark.parametrize(
    ("target", "why"),
    [('"x\\0y"', "a path may not hold a NUL character"), ("a" * 5000, "this name is too long for the file system")],
)
def test_an_import_the_file_system_cannot_take_is_an_error_at_its_line(tmp_path, target, why):
    """A NUL in an import (ValueError) or a name too long (OSError) crashed the loader."""
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    (folder / "extra.yaml").write_text(f"imports: [{target}]\n", encoding="utf-8")
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder / 'extra.yaml'}:1:11: cannot read '")
    assert problems[0].endswith(why)
    assert "\x00" not in problems[0] and len(problems[0]) < 400


def test_a_path_too_long_on_the_command_line_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "ics_graph", "check", "a" * 300],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ICS_GRAPH_CACHE": "off"},
    )
    assert result.returncode == 2, result.stderr
    assert f"error: {'a' * 77}... (300 characters): this name is too long for the file system" in result.stderr
    assert "Traceback" not in result.stderr


def test_values_shown_in_messages_are_escaped_and_cut(tmp_path):
    """A value echoed in an error could drive the terminal (ESC sequences, BEL) or run to
    megabytes; messages show it escaped and cut."""
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    (folder / "extra.yaml").write_text(
        'areas:\n  - id: x\n    name: X\n    "\\e[31mred": 1\n    part_of: "\\e]0;title\\a\u202e"\n'
        f"    level: {'p' * 2_000_000}\n",
        encoding="utf-8",
    )
    problems = _problems(folder)
    assert problems == [
        f"{folder / 'extra.yaml'}:4:5: unknown key '\\x1b[31mred' in areas; allowed: id, name, level, type, "
        "part_of, covered_by, codes, valid_from, valid_to, source, notes",
        f"{folder / 'extra.yaml'}:5:14: unknown area '\\x1b]0;title\\x07\\u202e' in 'part_of'",
        f"{folder / 'extra.yaml'}:6:12: invalid level '{'p' * 76}... (2,000,002 characters); allowed: national, "
        "regional, system, place, neighbourhood",
    ]


# -- a census: every entity written is an entity loaded ----------------------------------------

PACKS = [*sorted(p for p in (ROOT / "data").iterdir() if p.is_dir()), FIXTURES / "mini", FIXTURES / "clean"]


def _written(folder: Path, seen: set[Path] | None = None, pairs: set | None = None) -> Counter:
    """Entities per kind in a pack's YAML, by plain yaml.safe_load (imports followed once),
    and under "dependsOn" the distinct (function, function) dependencies written."""
    seen = set() if seen is None else seen
    pairs = set() if pairs is None else pairs
    counts: Counter = Counter()
    for path in sorted(folder.rglob("*.y*ml")) if folder.is_dir() else [folder]:
        if path.resolve() in seen or any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        seen.add(path.resolve())
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for target in document.get("imports") or []:
            counts += _written((path.parent / target).resolve(), seen, pairs)
        for name, section in SECTIONS.items():
            if name != "dependencies":
                counts[section.kind] += len(document.get(name) or [])
        for edge in document.get("dependencies") or []:
            targets = edge["depends_on"] if isinstance(edge["depends_on"], list) else [edge["depends_on"]]
            pairs.update((edge["function"], target) for target in targets)
    counts["dependsOn"] = len(pairs)
    return counts


def _loaded(mapping) -> Counter:
    rows = mapping.store.query(
        f'SELECT ?e WHERE {{ GRAPH ?g {{ ?e a ?c }} FILTER(STRSTARTS(STR(?e), "{v.ID}")) '
        f'FILTER(!CONTAINS(STR(?e), "#")) }} GROUP BY ?e'
    )
    counts = Counter(row["e"].value[len(v.ID) :].split("/", 1)[0] for row in rows)
    edges = mapping.store.query(
        f'SELECT DISTINCT ?f ?t WHERE {{ GRAPH ?g {{ ?f <{v.ICS}dependsOn> ?t }} FILTER(STRSTARTS(STR(?f), "{v.ID}function/")) }}'
    )
    counts["dependsOn"] = len(list(edges))
    return counts


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_every_yaml_entity_is_loaded_and_every_rdf_subject_reloaded(pack, tmp_path):
    written = _written(pack)
    assert sum(written.values()) > 0
    mapping = load_mapping([pack])
    loaded = _loaded(mapping)
    loaded.pop("category", None)  # categories are made from functions' category labels
    loaded.pop("dependency", None)  # a qualified dependency is a node of its edge
    assert loaded == +written
    exported = tmp_path / "pack.ttl"
    result = subprocess.run(
        [sys.executable, "-m", "ics_graph", "load", str(pack), "-o", str(exported)],
        cwd=ROOT,
        capture_output=True,
        check=False,
        env={**os.environ, "ICS_GRAPH_CACHE": "off"},
    )
    assert result.returncode == 0, result.stderr
    assert _loaded(load_mapping([exported])) == _loaded(mapping)
