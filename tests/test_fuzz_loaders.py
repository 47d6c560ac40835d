"""Fuzzing the YAML and RDF loaders (issue 22: "no traceback from input"): random but
plausible YAML mappings (known and unknown sections and keys; values that are text with
control and Unicode characters, dates, date-times, numbers, booleans, lists, nested
mappings; valid and invalid ids; references to ids that exist and that do not) and
random Turtle and N-Triples text. Loading either succeeds, and then the rules run, or
raises an :class:`InputError` whose every problem names the file it is about.

The examples are derandomized, so a run is repeatable: 200 per test in an ordinary run,
2,000 when the run selects the ``fuzz`` marker (``pytest -m fuzz``), or as many as
``ICS_GRAPH_FUZZ_EXAMPLES`` says. The strategies are module-level functions for reuse.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from conftest import MINI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.model import vocabulary as v
from ics_graph.model.schema import SECTIONS, unsafe_character
from ics_graph.util.errors import InputError

EXAMPLES, MORE_EXAMPLES = 200, 2000

#: Ids the mini fixture defines (references to them resolve), and some it does not.
KNOWN_IDS = [
    "england",
    "shire",
    "shire-north",
    "shire-south",
    "shire-icb",
    "nhs-england",
    "chc",
    "eprr",
    "pms",
    "src-test",
]
UNKNOWN_IDS = ["nowhere", "Shire", "shire north", "a/b", "-x", "x.", "", "ümlaut", "id\u202e"]
AWKWARD_CHARS = "\x00\x07\x08\x0b\x1b\x7f\x85\u00a0\u200b\u202a\u202e\u2066\u2069\ufeff\t\r\n\"'\\:#&*!|>%@`{}[],-?"


def awkward_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text mixing letters with control characters, direction overrides, YAML and
    Turtle punctuation, and any other Unicode (surrogates excluded: files are UTF-8)."""
    return st.text(
        st.one_of(
            st.sampled_from(AWKWARD_CHARS),
            st.characters(blacklist_categories=("Cs",)),
            st.sampled_from("abcxyz0129 -"),
        ),
        max_size=max_size,
    )


def dates_and_times() -> st.SearchStrategy[str]:
    """Date-like text as YAML would see it: dates, date-times (midnight and not), with
    zones, with trailing text, out of range."""
    day = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat)
    return st.one_of(
        day,
        st.builds(lambda d, t: f"{d}T{t}", day, st.sampled_from(["00:00:00", "10:00:00", "23:59:59.5", "00:00:00Z"])),
        st.builds(lambda d, t: f"{d} {t}", day, st.sampled_from(["10:00", "10:00:00", "10 people attended", "+01:00"])),
        st.builds(lambda d: f"'{d} '", day),
        st.sampled_from(["2022-13-01", "2022-02-30", "0000-01-01", "2022-7-1", "2022-07-01T25:00:00"]),
    )


def scalar_values() -> st.SearchStrategy[str]:
    """One YAML scalar, written as YAML text (plain, quoted or escaped)."""
    return st.one_of(
        awkward_text().map(json.dumps),  # a double-quoted YAML string, escapes included
        st.sampled_from(KNOWN_IDS + UNKNOWN_IDS).map(json.dumps),
        st.sampled_from(KNOWN_IDS),
        dates_and_times(),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["true", "no", "~", "null", ".inf", "0x1F", "1_000", "0o17", "1e3", "-.5", "''", "[]", "{}"]),
    )


def yaml_values(depth: int = 2) -> st.SearchStrategy[str]:
    """A YAML value in flow style: a scalar, or a list or mapping of values."""
    if depth == 0:
        return scalar_values()
    inner = yaml_values(depth - 1)
    return st.one_of(
        scalar_values(),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(st.sampled_from(["a", "ons", "ods", "ref", "locator", "x"]), inner, max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{k}: {value}" for k, value in pairs.items()) + "}"
        ),
    )


def entities(section_name: str) -> st.SearchStrategy[str]:
    """One entry of a section as block YAML: mostly its own keys, sometimes others."""
    section = SECTIONS[section_name]
    keys = st.sampled_from([*section.keys, "unknown", "Name", "id "])
    return st.dictionaries(keys, yaml_values(), min_size=1, max_size=6).map(
        lambda pairs: (
            "  - " + "\n    ".join(f"{json.dumps(k) if k != k.strip() else k}: {value}" for k, value in pairs.items())
        )
    )


def yaml_mappings() -> st.SearchStrategy[str]:
    """A whole YAML mapping file: some sections (or junk at the top), each with entries."""
    section = st.sampled_from([*SECTIONS, "imports", "areaz"]).flatmap(
        lambda name: st.lists(entities(name) if name in SECTIONS else st.just("  - x"), max_size=3).map(
            lambda items, name=name: f"{name}:\n" + "\n".join(items) if items else f"{name}: " + "[]"
        )
    )
    return st.one_of(
        st.lists(section, max_size=4).map(lambda parts: "\n".join(parts) + "\n"),
        yaml_values().map(lambda value: f"{value}\n"),
    )


IRIS = [
    f"<{v.ID}area/shire>",
    f"<{v.ID}area/nowhere>",
    f"<{v.ID}foo/bar>",
    f"<{v.ID}area/>",
    f"<{v.ID}area/a/b>",
    f"<{v.ID}body/shire-icb>",
    f"<{v.ICS}Area>",
    f"<{v.ICS}Place>",
    f"<{v.ICS}partOf>",
    f"<{v.ICS}effectiveFrom>",
    f"<{v.ICS}Nonsense>",
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
    "<http://www.w3.org/2000/01/rdf-schema#label>",
    "<http://example.org/x>",
    "<relative>",
    "_:b1",
]


def rdf_literals() -> st.SearchStrategy[str]:
    """An RDF literal as N-Triples/Turtle text, escapes and datatypes included."""
    lexical = st.one_of(awkward_text(20), dates_and_times(), st.sampled_from(["\\u0000", "\\u202E", "\\b", "\\"]))
    suffix = st.sampled_from(["", "@en", "^^<http://www.w3.org/2001/XMLSchema#date>", "^^<http://x/y>", "@"])
    return st.builds(lambda text, tail: json.dumps(text)[:-1].replace("\\\\", "\\") + '"' + tail, lexical, suffix)


def ntriples() -> st.SearchStrategy[str]:
    """N-Triples text: plausible statements, some broken."""
    term = st.sampled_from(IRIS)
    statement = st.one_of(
        st.builds(lambda s, p, o: f"{s} {p} {o} .", term, term, st.one_of(term, rdf_literals())),
        awkward_text(30),
    )
    return st.lists(statement, max_size=8).map(lambda lines: "\n".join(lines) + "\n")


def turtle() -> st.SearchStrategy[str]:
    """Turtle text: prefixes, then statements with ``;`` and ``,`` lists, some broken."""
    head = (
        f"@prefix ics: <{v.ICS}> .\n@prefix id: <{v.ID}> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    )
    term = st.one_of(st.sampled_from(IRIS), st.sampled_from(["ics:Area", "ics:partOf", "a", "rdfs:label", "id:x"]))
    objects = st.lists(st.one_of(term, rdf_literals()), min_size=1, max_size=3).map(", ".join)
    statement = st.one_of(
        st.builds(
            lambda s, pairs: s + " " + " ;\n  ".join(f"{p} {o}" for p, o in pairs) + " .",
            term,
            st.lists(st.tuples(term, objects), min_size=1, max_size=3),
        ),
        awkward_text(30),
    )
    return st.lists(statement, max_size=6).map(lambda parts: head + "\n".join(parts) + "\n")


# -- the property ---------------------------------------------------------------------------


def fuzz_settings(request) -> settings:
    """Derandomized settings: more examples when the run selects the ``fuzz`` marker."""
    selected = re.sub(r"\s+", " ", request.config.getoption("markexpr") or "")
    examples = MORE_EXAMPLES if "fuzz" in selected and "not fuzz" not in selected else EXAMPLES
    return settings(
        max_examples=int(os.environ.get("ICS_GRAPH_FUZZ_EXAMPLES", examples)),
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def assert_loads_or_names_the_file(folder: Path, name: str, text: str) -> None:
    """Write ``text`` as ``name`` beside the mini fixture's files and load the folder:
    success (then the rules run), or an InputError whose every problem names a file of
    the folder (the fuzzed one, or a mini file its ids clash with), with no control
    character or direction override in its message (a value is shown escaped)."""
    for source in MINI.iterdir():
        (folder / source.name).write_bytes(source.read_bytes())
    (folder / name).write_text(text, encoding="utf-8")
    try:
        mapping = load_mapping([folder])
    except InputError as error:
        assert error.problems
        for problem in error.problems:
            named = Path(problem.location.file)
            assert named.parent == folder, str(problem)
            assert problem.message.strip(), str(problem)
            assert unsafe_character(problem.message) is None, str(problem)  # shown escaped, never raw
        return
    check(mapping)


@pytest.mark.fuzz
def test_any_yaml_mapping_loads_or_names_its_file(request):
    @fuzz_settings(request)
    @given(text=yaml_mappings())
    def run(text):
        with tempfile.TemporaryDirectory() as folder:
            assert_loads_or_names_the_file(Path(folder), "fuzzed.yaml", text)

    run()


@pytest.mark.fuzz
def test_any_turtle_loads_or_names_its_file(request):
    @fuzz_settings(request)
    @given(text=turtle())
    def run(text):
        with tempfile.TemporaryDirectory() as folder:
            assert_loads_or_names_the_file(Path(folder), "fuzzed.ttl", text)

    run()


@pytest.mark.fuzz
def test_any_ntriples_loads_or_names_its_file(request):
    @fuzz_settings(request)
    @given(text=ntriples())
    def run(text):
        with tempfile.TemporaryDirectory() as folder:
            assert_loads_or_names_the_file(Path(folder), "fuzzed.nt", text)

    run()
