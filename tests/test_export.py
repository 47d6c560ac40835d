"""Exports: GraphML, DOT, Mermaid, JSON-LD and Turtle, on the clean fixture (copied to a
temporary folder) plus one file of awkward labels."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
import rdflib
from conftest import FIXTURES, ROOT
from rdflib.compare import isomorphic

from ics_graph.inputs.loader import load_mapping
from ics_graph.outputs.export import FORMATS, export, mermaid_ids
from ics_graph.queries.projection import project
from ics_graph.util.errors import UsageError

CLEAN = FIXTURES / "clean"
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
# Nodes: 4 functions, 7 areas, 7 bodies, 1 collaborative. Edges: 5 accountable, 2 delegates,
# 1 depends-on, 6 part-of, 2 member-of, 7 operates-in.
CLEAN_NODES, CLEAN_EDGES = 19, 23
AWKWARD = """
functions:
  - id: awkward
    name: "Say \\"hi\\" | back\\\\slash\\nnext # line & <b>"
    holder: icb
    lowest_level: place
    minimum_level: place
allocations:
  - {function: awkward, area: north, accountable: shire-icb}
"""
AWKWARD_LABEL = 'Say "hi" | back\\slash\nnext # line & <b>'


def _copy(tmp_path, extra: str | None = None):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    if extra:
        (folder / "extra.yaml").write_text(textwrap.dedent(extra), encoding="utf-8")
    return folder


@pytest.fixture
def clean(tmp_path):
    return load_mapping([_copy(tmp_path)])


@pytest.fixture
def awkward(tmp_path):
    return load_mapping([_copy(tmp_path, AWKWARD)])


def test_the_projection_has_the_expected_nodes_and_edges(clean):
    graph = project(clean)
    assert len(graph.nodes) == CLEAN_NODES and len(graph.edges) == CLEAN_EDGES
    kinds = {}
    for edge in graph.edges:
        kinds[edge.kind] = kinds.get(edge.kind, 0) + 1
    assert kinds == {"accountable": 5, "delegates": 2, "depends-on": 1, "part-of": 6, "member-of": 2, "operates-in": 7}
    nodes = {n.id: n for n in graph.nodes}
    assert nodes["area/north"].level == "place" and nodes["body/shire-icb"].level == "system"
    assert nodes["function/chc"].kind == "function" and nodes["collaborative/shire-collab"].kind == "collaborative"
    edges = {(e.kind, e.source, e.target, e.label) for e in graph.edges}
    assert ("accountable", "body/shire-icb", "function/chc", "North Shire") in edges
    assert ("delegates", "body/nhs-england", "body/shire-icb", "Primary medical services: s65Z5 delegation") in edges
    assert ("depends-on", "function/chc", "function/eprr", "") in edges
    assert ("member-of", "body/shire-mh", "collaborative/shire-collab", "") in edges
    assert [n.id for n in graph.nodes] == sorted(n.id for n in graph.nodes)
    assert len({e.id for e in graph.edges}) == len(graph.edges)


def test_graphml_parses_with_declared_keys_and_the_expected_counts(clean):
    root = ET.fromstring(export(clean, "graphml").encode("utf-8"))
    keys = {(k.get("for"), k.get("attr.name")): k.get("id") for k in root.iter(GRAPHML + "key")}
    for name in ("label", "kind", "level"):
        assert ("node", name) in keys
    assert ("edge", "label") in keys and ("edge", "kind") in keys
    graph = root.find(GRAPHML + "graph")
    assert graph.get("edgedefault") == "directed"
    nodes = graph.findall(GRAPHML + "node")
    edges = graph.findall(GRAPHML + "edge")
    assert len(nodes) == CLEAN_NODES and len(edges) == CLEAN_EDGES
    ids = {n.get("id") for n in nodes}
    assert all(e.get("source") in ids and e.get("target") in ids for e in edges)
    used = {d.get("key") for d in root.iter(GRAPHML + "data")}
    assert used <= set(keys.values())
    north = next(n for n in nodes if n.get("id") == "area/north")
    data = {d.get("key"): d.text for d in north.findall(GRAPHML + "data")}
    assert data[keys[("node", "label")]] == "North Shire" and data[keys[("node", "level")]] == "place"


def test_graphml_keeps_an_awkward_label_intact(awkward):
    root = ET.fromstring(export(awkward, "graphml").encode("utf-8"))
    labels = [d.text for d in root.iter(GRAPHML + "data") if d.get("key") == "label"]
    assert AWKWARD_LABEL in labels


def test_dot_has_every_node_ranks_by_level_and_escapes_labels(awkward):
    text = export(awkward, "dot")
    assert text.startswith('digraph "ics-graph" {') and "rankdir=TB" in text
    for node in project(awkward).nodes:
        assert f'"{node.id}" [' in text
    assert re.search(r'\{ rank=same; [^}]*"area/north";[^}]*\}', text)
    assert 'label="Say \\"hi\\" | back\\\\slash\\nnext # line & <b>"' in text
    # No raw newline inside any statement: each line is complete.
    assert all(line.endswith((";", "{", "}")) or "rank=same" in line for line in text.splitlines())


def test_mermaid_ids_are_safe_and_labels_escaped(awkward):
    text = export(awkward, "mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart TB"
    node_lines = [line.strip() for line in lines[1:] if re.match(r"^\s+\w+[\[\(\{]", line)]
    assert len(node_lines) == CLEAN_NODES + 1
    for line in node_lines:
        match = re.fullmatch(r'([A-Za-z][A-Za-z0-9_]*)(\[\[|\[|\(|\{\{)"(.*)"(\]\]|\]|\)|\}\})', line)
        assert match, line
        assert '"' not in match.group(3), line
    awkward_line = next(line for line in node_lines if line.startswith("function_awkward"))
    assert "#quot;hi#quot;" in awkward_line and "#124;" in awkward_line and "#60;b#62;" in awkward_line
    assert "#35; line" in awkward_line and "<br>" in awkward_line
    for line in lines[1:]:
        if "--" in line or "==>" in line:
            source, _arrow, rest = line.strip().split(" ", 2)
            target = rest.rsplit(" ", 1)[-1]
            assert re.fullmatch(r"[A-Za-z0-9_]+", source) and re.fullmatch(r"[A-Za-z0-9_]+", target)


def test_mermaid_ids_stay_unique_after_sanitising():
    ids = mermaid_ids(["area/a-b", "area/a_b", "area/a.b", "1/x"])
    assert len(set(ids.values())) == 4
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", i) for i in ids.values())


def test_jsonld_is_isomorphic_to_the_turtle_export(awkward):
    import json

    document = json.loads(export(awkward, "jsonld"))
    assert document["@context"]["ics"] == "https://w3id.org/ics-graph/ontology#"
    from_jsonld = rdflib.Graph().parse(data=export(awkward, "jsonld"), format="json-ld")
    from_turtle = rdflib.Graph().parse(data=export(awkward, "ttl"), format="turtle")
    assert len(from_turtle) > 100
    assert isomorphic(from_jsonld, from_turtle)


def test_jsonld_keeps_blank_nodes_from_rdf_inputs(tmp_path):
    folder = _copy(tmp_path)
    (folder / "extra.ttl").write_text(
        "@prefix ics: <https://w3id.org/ics-graph/ontology#> .\n"
        '<https://w3id.org/ics-graph/id/area/north> ics:scope [ ics:rationale "a blank node" ] .\n',
        encoding="utf-8",
    )
    mapping = load_mapping([folder])
    text = export(mapping, "jsonld")
    assert text == export(load_mapping([folder]), "jsonld")
    assert isomorphic(
        rdflib.Graph().parse(data=text, format="json-ld"),
        rdflib.Graph().parse(data=export(mapping, "ttl"), format="turtle"),
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_byte_identical_across_runs(tmp_path, fmt):
    folder = _copy(tmp_path, AWKWARD)
    assert export(load_mapping([folder]), fmt) == export(load_mapping([folder]), fmt)


def test_every_format_is_byte_identical_across_processes(tmp_path):
    """Hash randomisation differs between processes: output must not depend on it."""
    folder = _copy(tmp_path, AWKWARD)
    script = (
        "import hashlib, sys; from ics_graph.inputs.loader import load_mapping; from ics_graph.outputs.export import export, FORMATS; "
        "m = load_mapping([sys.argv[1]]); "
        "print(' '.join(hashlib.sha256(export(m, f).encode()).hexdigest() for f in FORMATS))"
    )
    digests = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script, str(folder)], capture_output=True, text=True, env=env, cwd=ROOT, check=True
        )
        digests.append(result.stdout)
    assert digests[0] == digests[1]
    here = load_mapping([folder])
    assert digests[0].split() == [hashlib.sha256(export(here, f).encode()).hexdigest() for f in FORMATS]


def test_ttl_is_the_canonical_turtle(clean):
    from ics_graph.model.turtle import to_turtle

    assert export(clean, "ttl") == to_turtle(clean.data_triples())


def test_an_unknown_format_is_refused(clean):
    with pytest.raises(UsageError, match="unknown export format"):
        export(clean, "svg")
