"""The interactive graph in a real browser: headless Chromium, with networking disabled.

Chromium (Debian package ``chromium``) is driven over the Chrome DevTools protocol on a
pipe (``--remote-debugging-pipe``): no driver, no downloaded browser, no open port.
Marked ``chromium``: `make test` installs it, in CI (CI=true) a missing Chromium fails these
tests, elsewhere it skips them. Checked: no console error or uncaught exception, no request
other than the page itself, the node and edge counts the page reports after drawing, that
a function named with HTML markup shows as text and runs nothing (also when its tooltip is
opened), and a screenshot is written for a person to look at: into ``$ICS_GRAPH_ARTIFACTS``
if set, else into ``artifacts/`` in the session's pytest temporary folder (never the checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from chromium import Browser, find_chromium
from conftest import FIXTURES

from ics_graph.engine.checking import check
from ics_graph.inputs.loader import load_mapping
from ics_graph.outputs.visualise import graph_data, visualise

CLEAN = FIXTURES / "clean"
XSS_NAME = '<img src=x onerror="window.xssFired=1;alert(1)"></script><script>window.xssFired=2</script>'

pytestmark = pytest.mark.chromium


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    """Where screenshots go: $ICS_GRAPH_ARTIFACTS, else the session's temporary folder."""
    given = os.environ.get("ICS_GRAPH_ARTIFACTS")
    folder = Path(given) if given else tmp_path_factory.getbasetemp() / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _chromium() -> str:
    found = find_chromium()
    if not found:
        pytest.fail(
            "Chromium is not installed, so the browser test cannot run. Install it with "
            "`apt-get install -y chromium` (Debian), or set CHROMIUM to a Chromium/Chrome binary."
        )
    return found


def _mapping(tmp_path):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    (folder / "extra.yaml").write_text(
        textwrap.dedent(f"""
        functions:
          - {{id: xss, name: {json.dumps(XSS_NAME)}, lowest_level: system, minimum_level: system}}
        delegations:
          - {{function: chc, from: north-committee, to: shire-icb, area: north, instrument: other, effective_from: 2022-07-01}}
        """),
        encoding="utf-8",
    )
    return load_mapping([folder])


def _run(tmp_path, name: str, **options):
    binary = _chromium()
    mapping = _mapping(tmp_path)
    findings = check(mapping)
    page = tmp_path / f"{name}.html"
    page.write_text(visualise(mapping, findings, **options), encoding="utf-8")
    expected = graph_data(mapping, findings, **options)
    browser = Browser(binary, tmp_path / "profile")
    try:
        browser.open(page.as_uri())
        browser.wait_for("window.icsGraph !== undefined && window.icsGraph.ready === true")
        browser.pump(0.5)
        state = browser.evaluate(
            "({nodes: icsGraph.nodes, edges: icsGraph.edges, "
            "attrs: [document.getElementById('graph-status').getAttribute('data-nodes'), "
            "document.getElementById('graph-status').getAttribute('data-edges')], "
            "xss: window.xssFired === undefined ? null : window.xssFired})"
        )
        return browser, state, expected, page
    except BaseException:
        log = browser.close()
        print(log[-3000:])
        raise


def test_the_page_draws_offline_without_errors_and_runs_no_label(tmp_path, artifacts):
    browser, state, expected, page = _run(tmp_path, "all")
    try:
        # the clean fixture (19 nodes, 23 edges) + the XSS function + one delegation back up
        assert (len(expected["nodes"]), len(expected["edges"])) == (20, 24)
        assert state["nodes"] == 20 and state["edges"] == 24
        assert state["attrs"] == ["20", "24"]
        assert state["xss"] is None

        # Open the tooltip of the function with markup in its name: shown as text, nothing runs.
        point = browser.evaluate("""(function () {
            var n = icsGraph.network, p = n.canvasToDOM(n.getPosition('function/xss'));
            var r = document.getElementById('graph').getBoundingClientRect();
            return {x: p.x + r.left, y: p.y + r.top}; })()""")
        for dx in (0, 1, 2):
            browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": point["x"] + dx, "y": point["y"]})
            browser.pump(0.4)
        tooltip = browser.evaluate("""(function () { var t = document.querySelector('div.vis-tooltip');
            return t ? {text: t.textContent, visible: t.style.visibility !== 'hidden',
                        elements: t.querySelectorAll('img, script').length} : null; })()""")
        assert tooltip and tooltip["visible"], "hovering the node showed no tooltip"
        assert XSS_NAME in tooltip["text"] and tooltip["elements"] == 0
        assert "unowned-function" in tooltip["text"]  # finding messages are in the tooltip
        assert browser.evaluate("window.xssFired === undefined")
        assert browser.evaluate("document.querySelectorAll('img').length") == 0

        shot = artifacts / "visualise-clean-all.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        assert browser.errors() == []
        others = [u for u in browser.requests() if u != page.as_uri() and not u.startswith("data:")]
        assert others == [], f"the page made requests: {others}"
    finally:
        browser.close()


def test_filtered_collapsed_views_draw_too(tmp_path, artifacts):
    browser, state, expected, _page = _run(tmp_path, "delegation", view="delegation", collapse_neighbourhoods=True)
    try:
        assert state["nodes"] == len(expected["nodes"]) == 3
        assert state["edges"] == len(expected["edges"]) == 3
        assert sum(1 for e in expected["edges"] if e["cycle"]) == 2
        browser.screenshot(artifacts / "visualise-clean-delegation.png")
        assert browser.errors() == []
    finally:
        browser.close()


def test_a_real_pack_draws(tmp_path, artifacts):
    binary = _chromium()
    root = Path(__file__).resolve().parent.parent
    mapping = load_mapping([root / "data" / "northamptonshire"])
    options = {"system": "northamptonshire"}
    page = tmp_path / "northamptonshire.html"
    page.write_text(visualise(mapping, check(mapping), **options), encoding="utf-8")
    expected = graph_data(mapping, check(mapping), **options)
    browser = Browser(binary, tmp_path / "profile")
    try:
        browser.open(page.as_uri())
        browser.wait_for("window.icsGraph !== undefined && window.icsGraph.ready === true", timeout=120)
        assert browser.evaluate("[icsGraph.nodes, icsGraph.edges]") == [len(expected["nodes"]), len(expected["edges"])]
        browser.screenshot(artifacts / "visualise-northamptonshire.png")
        assert browser.errors() == []
    finally:
        browser.close()
