"""``ics-graph site``: a static website of a mapping that works from ``file://``.

Checked on the clean fixture and on the Northamptonshire pack (with its imports): a page
for every entity, every internal link and script resolving to a file of the site, the
Content-Security-Policy on every page and no inline script, a hostile name shown only
escaped, byte-identical builds (in fresh processes with different hash seeds), the
output folder's refusals, and the search finding "NHS continuing healthcare" for
"continuing helthcare" (scored here in Python exactly as ``search.js`` scores, and by the
script itself in headless Chromium, at the end of this file).
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, ROOT, cli_process

from ics_graph.cli import main
from ics_graph.inputs.loader import load_mapping
from ics_graph.outputs.site import POLICY, page_name
from ics_graph.queries.entities import entity_index

CLEAN = FIXTURES / "clean"
NORTHAMPTONSHIRE = ROOT / "data" / "northamptonshire"
XSS = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'
#: Pages written by other outputs: the graph page pins its own inline scripts by hash.
OTHER_OUTPUTS = ("graph.html",)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, tuple[Path, list]]:
    """name -> (site folder, the mapping's paths)."""
    built = {}
    for name, paths in (("clean", [CLEAN]), ("northamptonshire", [NORTHAMPTONSHIRE])):
        folder = tmp_path_factory.mktemp("sites") / name
        result = run("site", *paths, "-o", folder)
        assert result.exit_code == 0, result.output
        built[name] = (folder, paths)
    return built


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts: list[dict] = []
        self.meta: list[dict] = []
        self.h1 = 0
        self.landmarks: set[str] = set()
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])
        if tag == "script":
            self.scripts.append({"attrs": attrs, "body": ""})
            self._in_script = True
        if tag == "meta":
            self.meta.append(attrs)
        if tag == "h1":
            self.h1 += 1
        if tag in ("header", "nav", "main"):
            self.landmarks.add(tag)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1]["body"] += data
        else:
            self.text.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.mark.parametrize("name", ["clean", "northamptonshire"])
def test_every_entity_has_its_page(sites, name):
    folder, paths = sites[name]
    entities = entity_index(load_mapping(paths))
    assert {e.kind for e in entities} == {"function", "area", "body", "collaborative"}
    for entity in entities:
        page = folder / page_name(entity.id)
        assert page.is_file(), entity.id
        assert f"<h1>{__import__('html').escape(entity.label)}</h1>" in page.read_text(encoding="utf-8")
    for fixed in ("index.html", "findings.html", "functions.html", "areas.html", "bodies.html", "graph.html"):
        assert (folder / fixed).is_file()
    assert list(folder.glob("decisions-*.html")), "a Functions and Decisions Map per system"


@pytest.mark.parametrize("name", ["clean", "northamptonshire"])
def test_every_internal_link_resolves_and_every_page_has_the_policy(sites, name):
    folder, _paths = sites[name]
    pages = sorted(folder.glob("*.html"))
    parsed = {p.name: parse(p) for p in pages}
    for page_file, page in parsed.items():
        policies = [m["content"] for m in page.meta if m.get("http-equiv") == "Content-Security-Policy"]
        assert len(policies) == 1, page_file
        assert "default-src 'none'" in policies[0]
        for link in page.links:
            if re.match(r"^https?://", link):
                continue
            assert not re.match(r"^[a-z]+:", link), f"{page_file}: {link}"
            target, _, fragment = link.partition("#")
            target = target or page_file
            assert (folder / target).is_file(), f"{page_file} links to {link}"
            if fragment and target in parsed:
                assert fragment in parsed[target].ids, f"{page_file} links to {link}"
        if page_file in OTHER_OUTPUTS:
            continue
        assert all(s["body"].strip() == "" and s["attrs"].get("src") for s in page.scripts), page_file
        if not page_file.startswith("decisions-"):
            assert policies[0] == POLICY
            assert page.h1 == 1 and page.landmarks == {"header", "nav", "main"}, page_file
            assert 'style="' not in (folder / page_file).read_text(encoding="utf-8")
            assert '<label for="search-input">' in (folder / page_file).read_text(encoding="utf-8")
        else:
            assert "script-src 'none'" in policies[0] and not page.scripts
    for page_file in [*OTHER_OUTPUTS, *(p.name for p in folder.glob("decisions-*.html"))]:
        assert "index.html" in parsed[page_file].links, f"{page_file} has no way back to the home page"
        assert "nav" in parsed[page_file].landmarks, page_file


def test_a_function_page_answers_where_it_sits_with_links(sites):
    folder, _paths = sites["clean"]
    text = (folder / "function-chc.html").read_text(encoding="utf-8")
    assert '<a href="area-north.html">North Shire</a>' in text
    assert '<a href="body-north-committee.html">North Shire committee</a>: committee of the board' in text
    assert "tests/fixtures/clean/mapping.yaml:" in text  # sources with their locations
    home = (folder / "index.html").read_text(encoding="utf-8")
    assert '<time datetime="2022-07-01">' in home and "Functions and Decisions Map" in home
    north = (folder / "area-north.html").read_text(encoding="utf-8")
    assert '<a href="function-chc.html">Continuing healthcare</a>' in north


def test_findings_are_grouped_by_rule_explained_and_linked(sites):
    folder, _paths = sites["northamptonshire"]
    page = parse(folder / "findings.html")
    text = (folder / "findings.html").read_text(encoding="utf-8")
    assert "findings.js" in [s["attrs"]["src"] for s in page.scripts]
    assert '<form id="filters" class="filters" hidden>' in text  # shown by the script; all findings show without it
    rules = re.findall(r'<section class="rule" id="rule-([a-z0-9-]+)"', text)
    assert rules and rules == sorted(rules)
    assert text.count("<summary>About this rule</summary>") == len(rules)
    assert "How to fix:" in text
    items = [i.split("</li>", 1)[0] for i in text.split('<li data-severity="')[1:]]
    linked = [i for i in items if re.search(r'About: <a href="(function|area|body|collaborative)-', i)]
    assert len(linked) >= len(items) * 0.9  # nearly every finding links to the entity it is about
    # the system filter offers each mapped system, and each finding says the systems it concerns
    assert '<option value="northamptonshire">Northamptonshire</option>' in text
    assert '<option value="nhn-system-2021">' in text
    systems = re.findall(r'data-systems="([^"]*)"', text)
    assert len(systems) == len(items) and "northamptonshire" in systems and "nhn-system-2021" in systems


def test_the_same_input_gives_the_same_bytes(tmp_path):
    trees = []
    for seed in ("1", "2"):
        folder = tmp_path / f"site-{seed}"
        done = cli_process("site", CLEAN, "-o", folder, seed=seed)
        assert done.returncode == 0, done.stderr
        trees.append({p.name: p.read_bytes() for p in sorted(folder.iterdir())})
    assert trees[0] == trees[1]


def test_a_hostile_name_is_only_ever_text(tmp_path):
    mapping = tmp_path / "mapping"
    shutil.copytree(CLEAN, mapping)
    (mapping / "extra.yaml").write_text(
        textwrap.dedent(f"""
        functions:
          - {{id: xss, name: {json.dumps(XSS)}, synonyms: [{json.dumps(XSS + " again")}], lowest_level: system, minimum_level: system}}
        bodies:
          - {{id: evil, name: {json.dumps("Evil " + XSS)}, type: local-authority, operates_in: north}}
        allocations:
          - {{function: xss, area: shire, accountable: evil, rationale: {json.dumps("because " + XSS)}}}
        """),
        encoding="utf-8",
    )
    folder = tmp_path / "site"
    result = run("site", mapping, "-o", folder)
    assert result.exit_code == 0, result.output
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "<img" not in text and "<script>alert" not in text, path.name
    page = (folder / page_name("function/xss")).read_text(encoding="utf-8")
    assert "<h1>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;/script&gt;" in page
    assert "because &lt;img" in page
    index = (folder / "search-index.js").read_text(encoding="utf-8")
    assert "</script>" not in index and "\\u003cimg src=x" in index


def test_file_names_are_safe_on_any_filesystem():
    assert page_name("function/chc") == "function-chc.html"
    odd = page_name("body/Ünïcode CON:<>|*?")
    assert re.fullmatch(r"body-[a-z0-9-]+\.html", odd)
    assert page_name("area/ABC") != page_name("area/abc")  # also on a case-insensitive disk


def test_output_folder_refusals_and_force(tmp_path):
    folder = tmp_path / "site"
    assert run("site", CLEAN, "-o", folder).exit_code == 0
    again = run("site", CLEAN, "-o", folder)
    assert again.exit_code == 2 and "is not empty; use --force" in again.output
    (folder / "stale.html").write_text("old", encoding="utf-8")
    assert run("site", CLEAN, "-o", folder, "--force").exit_code == 0
    assert not (folder / "stale.html").exists()  # replaced whole
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left

    other = tmp_path / "notes"
    other.mkdir()
    (other / "plan.yaml").write_text("x: 1\n", encoding="utf-8")
    refused = run("site", CLEAN, "-o", other, "--force")
    assert refused.exit_code == 2 and "holds files a site does not" in refused.output
    assert (other / "plan.yaml").read_text(encoding="utf-8") == "x: 1\n"

    copy = tmp_path / "holder" / "mapping"
    shutil.copytree(CLEAN, copy)
    holding = run("site", copy, "-o", tmp_path / "holder", "--force")
    assert holding.exit_code == 2 and "holds files a site does not" in holding.output
    empty_parent = tmp_path / "parent"
    empty_parent.mkdir()
    inside = run("site", empty_parent, "-o", empty_parent)
    assert inside.exit_code == 2 and "it holds the input" in inside.output

    (tmp_path / "file.txt").write_text("", encoding="utf-8")
    assert run("site", CLEAN, "-o", tmp_path / "file.txt").exit_code == 2
    assert run("site", CLEAN, "-o", tmp_path / "missing" / "site").exit_code == 2
    assert run("site", "-o", tmp_path / "x").exit_code == 2
    bad_date = run("site", CLEAN, "-o", tmp_path / "dated", "--as-of", "July")
    assert bad_date.exit_code == 2 and not (tmp_path / "dated").exists()


def test_as_of_and_title(tmp_path):
    folder = tmp_path / "site"
    result = run("site", CLEAN, "-o", folder, "--as-of", "2022-06-30", "--title", "Shire <map>")
    assert result.exit_code == 0, result.output
    home = (folder / "index.html").read_text(encoding="utf-8")
    assert "<h1>Shire &lt;map&gt;</h1>" in home and "as it stands on 2022-06-30" in home
    assert "current, from 2022-07-01" not in (folder / "function-chc.html").read_text(encoding="utf-8")


# -- search: the scoring of search.js, in Python ------------------------------------------------


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def _trigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _score(query: str, name: str) -> float:
    q, n = _fold(query), _fold(name)
    if not q or not n:
        return 0.0
    if q == n:
        return 1.0
    if f" {q} " in f" {n} ":
        return 0.95
    if q in n:
        return 0.9
    common = len(_trigrams(q) & _trigrams(n))
    return 0.8 * common / len(_trigrams(q)) + 0.2 * common / len(_trigrams(n))


def _search(query: str, index: list[dict]) -> list[dict]:
    if len(_fold(query)) < 2:
        return []
    scored = [(max(_score(query, x) for x in [r["t"], r["i"], *r["n"]]), r) for r in index]
    found = [(s, r) for s, r in scored if s >= 0.5]
    return [r for _s, r in sorted(found, key=lambda sr: (-sr[0], sr[1]["t"]))][:12]


def _index(folder: Path) -> list[dict]:
    text = (folder / "search-index.js").read_text(encoding="utf-8")
    assert text.startswith("window.icsSearchIndex = ") and text.endswith(";\n")
    return json.loads(text[len("window.icsSearchIndex = ") : -2])


def test_search_finds_continuing_healthcare_despite_the_typo(sites):
    folder, _paths = sites["northamptonshire"]
    index = _index(folder)
    chc = [r for r in index if r["t"] == "NHS continuing healthcare"]
    assert chc and chc[0]["u"] == "function-continuing-healthcare.html" and "CHC" in chc[0]["n"]
    for typed in ("continuing helthcare", "CHC", "continuing-healthcare", "NHS continuing healthcare"):
        assert _search(typed, index)[0]["u"] == "function-continuing-healthcare.html", typed
    script = (folder / "search.js").read_text(encoding="utf-8")  # the port above is this script's scoring
    for part in ("0.8 * common / size(Q) + 0.2 * common / size(N)", "s >= 0.5", "return 0.95", "return 0.9;"):
        assert part in script


# -- in a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    """Where screenshots go: $ICS_GRAPH_ARTIFACTS, else the session's temporary folder."""
    import os

    given = os.environ.get("ICS_GRAPH_ARTIFACTS")
    folder = Path(given) if given else tmp_path_factory.getbasetemp() / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.chromium
def test_search_works_offline_in_a_browser(sites, tmp_path, artifacts):
    from chromium import Browser, find_chromium

    folder, _paths = sites["northamptonshire"]
    browser = Browser(find_chromium(), tmp_path / "profile")
    try:
        home = (folder / "index.html").as_uri()
        browser.open(home)
        browser.wait_for("document.readyState === 'complete' && !document.getElementById('search').hidden")
        browser.screenshot(artifacts / "site-home.png")
        browser.evaluate("document.getElementById('search-input').focus()")
        for char in "continuing helthcare":
            browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": char, "key": char})
            browser.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": char})
        browser.wait_for("document.querySelectorAll('#search-results a').length > 0", timeout=10)
        first = browser.evaluate("document.querySelector('#search-results a').getAttribute('href')")
        assert first == "function-continuing-healthcare.html"
        assert browser.evaluate(
            "icsSearch.score('continuing helthcare', 'NHS continuing healthcare')"
        ) == pytest.approx(_score("continuing helthcare", "NHS continuing healthcare"))
        browser.send(
            "Input.dispatchKeyEvent",
            {"type": "rawKeyDown", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13},
        )
        browser.wait_for("location.href.endsWith('function-continuing-healthcare.html')", timeout=10)
        browser.wait_for("document.readyState === 'complete'")
        assert browser.evaluate("document.querySelector('h1').textContent") == "NHS continuing healthcare"
        browser.screenshot(artifacts / "site-function.png")

        browser.send("Page.navigate", {"url": (folder / "findings.html").as_uri()})
        # the new page, not the one being left (which is also complete, and has no filters)
        browser.wait_for(
            "location.href.endsWith('findings.html') && document.readyState === 'complete'"
            " && document.getElementById('filters') !== null && !document.getElementById('filters').hidden"
        )
        total = browser.evaluate("document.querySelectorAll('li[data-severity]').length")
        browser.evaluate(
            "var s = document.getElementById('filter-severity'); s.value = 'error';s.dispatchEvent(new Event('change'))"
        )
        shown = browser.evaluate("document.querySelectorAll('li[data-severity]:not([hidden])').length")
        errors = (folder / "findings.html").read_text(encoding="utf-8").count('<li data-severity="error"')
        assert shown == errors <= total
        # then every severity, one system: the findings about that system's areas
        browser.evaluate(
            "var s = document.getElementById('filter-severity'); s.value = '';s.dispatchEvent(new Event('change'));"
            "var y = document.getElementById('filter-system'); y.value = 'northamptonshire';"
            "y.dispatchEvent(new Event('change'))"
        )
        shown = browser.evaluate("document.querySelectorAll('li[data-severity]:not([hidden])').length")
        in_system = len(re.findall(r'data-systems="[^"]*\bnorthamptonshire\b', (folder / "findings.html").read_text()))
        assert 0 < shown == in_system < total
        browser.screenshot(artifacts / "site-findings.png")
        assert browser.errors() == []
        others = [u for u in browser.requests() if not u.startswith(folder.as_uri() + "/")]
        assert others == [], f"the site made requests: {others}"
    finally:
        browser.close()


def test_key_dates_are_counted_in_plain_english():
    from ics_graph.outputs.site import _counted

    assert _counted(1, "allocation", "starts") == "1 allocation starts"
    assert _counted(91, "allocation", "starts") == "91 allocations start"
    assert _counted(2, "body", "ends") == "2 bodies end"
