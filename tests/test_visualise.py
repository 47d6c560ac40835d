"""The interactive graph page, without a browser: what it draws, filters, focus,
collapsing, escaping, offline-ness and determinism. (tests/test_browser.py opens it.)"""

from __future__ import annotations

import json
import re
import shutil
import textwrap

import pytest
from conftest import FIXTURES, HASH_SEEDS, cli_process

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.outputs.visualise import graph_data, visualise
from ics_graph.util.errors import UsageError

CLEAN = FIXTURES / "clean"
XSS = "<img src=x onerror=alert(1)>"


def mapping(tmp_path, extra: str = "{}"):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    (folder / "extra.yaml").write_text(textwrap.dedent(extra), encoding="utf-8")
    return load_mapping([folder])


def ids(data, what="nodes"):
    return sorted(item["id"] for item in data[what])


def kinds(data):
    return sorted({e["kind"] for e in data["edges"]})


def embedded(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page, re.DOTALL)
    return json.loads(found.group(1))


def test_the_clean_fixture(tmp_path):
    data = graph_data(mapping(tmp_path))
    assert len(data["nodes"]) == 19 and len(data["edges"]) == 23
    by_kind = {}
    for node in data["nodes"]:
        by_kind[node["kind"]] = by_kind.get(node["kind"], 0) + 1
    assert by_kind == {"area": 7, "body": 7, "collaborative": 1, "function": 4}
    assert kinds(data) == ["accountable", "delegates", "depends-on", "member-of", "operates-in", "part-of"]
    nodes = {n["id"]: n for n in data["nodes"]}
    # shapes by kind, levels top (national) to bottom (neighbourhood), functions below where they sit
    assert {nodes[k]["shape"] for k in ("area/england", "area/north")} == {"database"}
    assert nodes["body/shire-icb"]["shape"] == "box" and nodes["function/chc"]["shape"] == "ellipse"
    assert nodes["collaborative/shire-collab"]["shape"] == "hexagon"
    order = [
        "area/england",
        "function/pms",
        "area/region",
        "area/shire",
        "function/eprr",
        "area/north",
        "function/chc",
        "area/north-1",
    ]
    assert [nodes[k]["level"] for k in order] == sorted(nodes[k]["level"] for k in order)
    assert nodes["function/chc"]["levelName"] == "place" and nodes["body/shire-icb"]["levelName"] == "system"
    assert nodes["area/england"]["color"]["background"] != nodes["area/north"]["color"]["background"]
    delegation = next(e for e in data["edges"] if e["kind"] == "delegates" and e["from"] == "body/shire-icb")
    assert delegation["label"] == "Continuing healthcare: committee of the board"
    assert not any(e["cycle"] for e in data["edges"]) and not any(n["flagged"] for n in data["nodes"])
    # every record sorted and with the mapping's own ids
    assert ids(data) == [n["id"] for n in data["nodes"]]
    assert all(set(n) >= {"id", "label", "tooltip", "level", "shape"} for n in data["nodes"])


def test_views_select_edge_kinds(tmp_path):
    m = mapping(tmp_path)
    dependencies = graph_data(m, view="dependencies")
    assert kinds(dependencies) == ["depends-on"] and ids(dependencies) == ["function/chc", "function/eprr"]
    delegation = graph_data(m, view="delegation")
    assert kinds(delegation) == ["delegates"] and len(delegation["edges"]) == 2
    assert ids(delegation) == ["body/nhs-england", "body/north-committee", "body/shire-icb"]
    allocation = graph_data(m, view="allocation")
    assert kinds(allocation) == ["accountable"] and len(allocation["edges"]) == 5
    with pytest.raises(UsageError, match="unknown view"):
        graph_data(m, view="everything")


def test_footprints(tmp_path):
    m = mapping(tmp_path)
    north = graph_data(m, area="north")
    assert {
        "area/north",
        "area/north-1",
        "body/north-committee",
        "body/north-council",
        "function/chc",
        "body/shire-icb",
        "area/shire",
    } <= set(ids(north))
    assert not {"area/south", "area/south-1", "function/pms", "body/south-committee"} & set(ids(north))
    # the allocation in South Shire is not drawn; the one in North Shire is
    accountable = [e for e in north["edges"] if e["kind"] == "accountable"]
    assert [e["id"] for e in accountable] == ["accountable/allocation/chc--north--shire-icb--2022-07-01/body/shire-icb"]
    shire = graph_data(m, system="shire")
    assert {"area/south-1", "function/eprr", "body/nhs-england", "area/region"} <= set(ids(shire))
    # allocated nationally, so outside Shire; the delegation of pms into Shire is drawn
    assert not {"function/assess", "function/pms"} & set(ids(shire))
    assert any(e["kind"] == "delegates" and e["from"] == "body/nhs-england" for e in shire["edges"])
    with pytest.raises(UsageError, match="not a system"):
        graph_data(m, system="north")
    with pytest.raises(UsageError, match="no area"):
        graph_data(m, area="atlantis")


def test_a_joint_allocation_draws_every_accountable_body(tmp_path):
    # one edge per body, whatever order the store returns them in (a cached mapping's differs)
    m = mapping(
        tmp_path,
        """
        allocations:
          - {function: eprr, area: north, accountable: [shire-icb, north-council], joint: yes, effective_from: 2022-07-01}
        """,
    )
    data = graph_data(m)
    joint = sorted(
        (e["from"], e["id"]) for e in data["edges"] if e["kind"] == "accountable" and "eprr--north" in e["id"]
    )
    assert [body for body, _ in joint] == ["body/north-council", "body/shire-icb"]
    assert all(edge_id.endswith("/" + body) for body, edge_id in joint)


def test_focus_on_a_function(tmp_path):
    m = mapping(tmp_path)
    one = graph_data(m, function="chc", depth=1)
    assert ids(one) == ["body/shire-icb", "function/chc", "function/eprr"]
    two = graph_data(m, function="function/chc", depth=2)
    assert {"body/north-committee", "body/nhs-england", "area/shire"} <= set(ids(two))
    assert all(e["from"] in ids(two) and e["to"] in ids(two) for e in two["edges"])
    assert ids(graph_data(m, function="chc", depth=0)) == ["function/chc"]
    with pytest.raises(UsageError, match="no function"):
        graph_data(m, function="nope")


def test_collapse_neighbourhoods(tmp_path):
    m = mapping(
        tmp_path,
        """
        areas:
          - {id: north-2, name: North Two, level: neighbourhood, part_of: north}
        """,
    )
    plain = graph_data(m)
    collapsed = graph_data(m, collapse_neighbourhoods=True)
    assert len(collapsed["nodes"]) == len(plain["nodes"]) - 1  # three neighbourhoods become two nodes
    merged = {n["id"]: n for n in collapsed["nodes"]}
    assert "area/north-1" not in merged and "area/north-2" not in merged
    assert merged["neighbourhoods/area/north"]["label"] == "North Shire: 2 neighbourhoods"
    assert "North One, North Two" in merged["neighbourhoods/area/north"]["tooltip"]
    part_of = [e for e in collapsed["edges"] if e["kind"] == "part-of" and e["to"] == "area/north"]
    assert [e["from"] for e in part_of] == ["neighbourhoods/area/north"]


def test_findings_are_overlaid(tmp_path):
    m = mapping(
        tmp_path,
        """
        functions:
          - {id: ifr, name: Individual funding requests, lowest_level: system, minimum_level: system}
        delegations:
          - {function: chc, from: north-committee, to: shire-icb, area: north, instrument: other, effective_from: 2022-07-01}
        """,
    )
    result = check(m)
    data = graph_data(m, result)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["function/ifr"]["flagged"] == "red" and nodes["function/ifr"]["color"]["border"] == "#d40000"
    assert "unowned-function" in nodes["function/ifr"]["tooltip"]
    assert "has no allocation anywhere in Shire" in nodes["function/ifr"]["tooltip"]
    cycle = sorted((e["from"], e["to"]) for e in data["edges"] if e["cycle"])
    assert cycle == [("body/north-committee", "body/shire-icb"), ("body/shire-icb", "body/north-committee")]
    assert all(e["color"]["color"] == "#d40000" for e in data["edges"] if e["cycle"])
    # the other delegation (primary medical services, into the ICB) is not on the cycle
    assert not any(e["cycle"] for e in data["edges"] if e["from"] == "body/nhs-england")
    assert "delegation-cycle" in nodes["body/shire-icb"]["tooltip"]
    # an unowned function stays visible, marked, in the allocation view although it has no edge
    assert "function/ifr" in ids(graph_data(m, result, view="allocation"))


def test_coverage_gap_marked(tmp_path):
    m = mapping(
        tmp_path,
        """
        allocations:
          - {function: eprr, area: north, accountable: shire-icb, effective_from: 2022-07-01}
        """,
    )
    nodes = {n["id"]: n for n in graph_data(m, check(m))["nodes"]}
    assert nodes["function/eprr"]["flagged"] == "red"
    assert "place-coverage-gap" in nodes["function/eprr"]["tooltip"]


def test_labels_are_escaped(tmp_path):
    m = mapping(
        tmp_path,
        f"""
        functions:
          - {{id: xss, name: {json.dumps(XSS + "</script><!--")}, lowest_level: system, minimum_level: system}}
        """,
    )
    page = visualise(m, check(m))
    assert "<img" not in page and "onerror=alert(1)>" not in page
    assert "</script><!--" not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page
    data = embedded(page)
    node = next(n for n in data["nodes"] if n["id"] == "function/xss")
    assert node["label"] == XSS + "</script><!--"
    assert "title" not in node  # tooltips become DOM text in the page, never HTML strings
    assert "textContent = text" in page and "innerHTML" not in page.split("<script>")[-1]


def test_the_page_is_offline(tmp_path):
    page = visualise(mapping(tmp_path))
    assert not re.search(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE) and not re.search(
        r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE
    )
    styles = "".join(re.findall(r"<style>(.*?)</style>", page, re.DOTALL))
    assert "url(" in styles and not re.search(r"""url\(\s*(?!["']?data:)""", styles, re.IGNORECASE)  # only data: images
    assert "@import" not in page and "fonts.googleapis" not in page and "bootstrap" not in page.lower()
    assert "default-src 'none'" in page and "connect-src 'none'" in page
    assert "vis-network" in page and "new vis.Network" in page
    assert "setOptions({physics: false})" in page and "stabilizationIterationsDone" in page
    options = json.loads(re.search(r'id="graph-options">(.*?)</script>', page, re.DOTALL).group(1))
    assert options["layout"]["hierarchical"]["enabled"] is True
    assert 'id="legend"' in page


def test_the_page_is_deterministic(tmp_path):
    """Two processes with different hash seeds write the same page, and this one makes it too."""
    m = mapping(tmp_path)
    pages = [tmp_path / f"page-{seed}.html" for seed in HASH_SEEDS]
    for seed, page in zip(HASH_SEEDS, pages):
        done = cli_process(
            "visualise", tmp_path / "mapping", "-o", page, "--view", "all", "--system", "shire", seed=seed
        )
        assert done.returncode in (0, 1), done.stderr.decode()
    assert pages[0].read_bytes() == pages[1].read_bytes()
    first = visualise(m, check(m), view="all", system="shire")
    assert first.encode() == pages[0].read_bytes()
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", first.split("<script>")[0])
