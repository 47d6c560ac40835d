"""The static site (``ics-graph site``) is accessible: axe-core, pinned in
tests/js/package-lock.json and installed there by tests/require-tools.sh (``npm ci``), runs
in headless Chromium on the home page, a function, an area and a body page and the findings
page of the clean fixture and of the Northamptonshire pack, opened from ``file://``; no
violation may be serious or critical.

axe is injected with DevTools' Runtime.evaluate, which the pages' Content-Security-Policy
does not govern, so the pages are checked exactly as they are served (no CSP bypass). Every
page's violations (all impacts) go to ``axe-<site>-<page>.json`` in the artifacts folder
($ICS_GRAPH_ARTIFACTS, else the session's temporary folder, never the checkout).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from chromium import Browser, find_chromium
from click.testing import CliRunner
from conftest import AXE_CORE, FIXTURES, ROOT

from ics_graph.cli import main

pytestmark = [pytest.mark.chromium, pytest.mark.axe]

SITES = {"clean": FIXTURES / "clean", "northamptonshire": ROOT / "data" / "northamptonshire"}
#: the impacts that fail the test (axe's are minor, moderate, serious, critical)
FAILING = ("serious", "critical")


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    """Where the axe results go: $ICS_GRAPH_ARTIFACTS, else the session's temporary folder."""
    given = os.environ.get("ICS_GRAPH_ARTIFACTS")
    folder = Path(given) if given else tmp_path_factory.getbasetemp() / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _site(name: str, folder: Path) -> Path:
    result = CliRunner().invoke(main, ["site", str(SITES[name]), "-o", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder


def _pages(folder: Path) -> dict[str, Path]:
    """label -> page: the home page, the largest function, area and body page (the most to
    check), the findings."""
    pages = {"index": folder / "index.html"}
    for kind in ("function", "area", "body"):
        found = sorted(folder.glob(f"{kind}-*.html"), key=lambda p: (-p.stat().st_size, p.name))
        assert found, f"no {kind} page in {folder}"
        pages[kind] = found[0]
    pages["findings"] = folder / "findings.html"
    return pages


def _load(browser: Browser, page: Path, first: bool) -> None:
    url = page.as_uri()
    if first:
        browser.open(url)
    else:
        browser.send("Page.navigate", {"url": url})
    browser.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")
    browser.pump(0.3)  # let the page's own scripts (search, findings filters) settle


def _axe(browser: Browser, source: str) -> dict:
    """Inject axe and run it on the document; the violations, and what axe could not decide."""
    injected = browser.send("Runtime.evaluate", {"expression": source + "\n;typeof axe", "returnByValue": True})
    assert "exceptionDetails" not in injected, injected
    assert injected["result"].get("value") == "object", injected
    reply = browser.send(
        "Runtime.evaluate",
        {
            "expression": (
                "axe.run(document, {resultTypes: ['violations']}).then(r => ({"
                "testEngine: r.testEngine, url: r.url, violations: r.violations, "
                "incomplete: r.incomplete.map(x => ({id: x.id, impact: x.impact, help: x.help}))}))"
            ),
            "awaitPromise": True,
            "returnByValue": True,
        },
        timeout=120,
    )
    assert "exceptionDetails" not in reply, reply["exceptionDetails"]
    return reply["result"]["value"]


@pytest.mark.parametrize("name", sorted(SITES))
def test_the_site_has_no_serious_or_critical_axe_violations(name, tmp_path, artifacts):
    binary = find_chromium()
    assert binary, "Chromium is not installed"  # conftest skips (or fails, in CI) before this
    assert AXE_CORE.is_file(), f"axe-core is not installed: npm ci --prefix tests/js ({AXE_CORE})"
    source = AXE_CORE.read_text(encoding="utf-8")
    folder = _site(name, tmp_path / "site")
    failures: list[str] = []
    browser = Browser(binary, tmp_path / "profile")
    try:
        for number, (label, page) in enumerate(_pages(folder).items()):
            _load(browser, page, first=number == 0)
            result = _axe(browser, source)
            (artifacts / f"axe-{name}-{label}.json").write_text(
                json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
            for violation in result["violations"]:
                if violation["impact"] in FAILING:
                    node = violation["nodes"][0] if violation["nodes"] else {}
                    failures.append(
                        f"{page.name}: {violation['id']} ({violation['impact']}): {violation['help']}; "
                        f"{len(violation['nodes'])} element(s), first {node.get('target')}: "
                        f"{node.get('html', '')[:200]} [{violation.get('helpUrl', '')}]"
                    )
    except BaseException:
        print(browser.close()[-3000:])
        raise
    browser.close()
    for line in failures:
        print(line)
    assert not failures, (
        f"axe-core found {len(failures)} serious or critical violation(s) in the {name} site "
        f"(full results in {artifacts}/axe-{name}-*.json):\n" + "\n".join(failures)
    )
