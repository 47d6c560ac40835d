"""The interactive graph in a real browser: headless Chromium, with networking disabled.

Chromium (Debian package ``chromium``) is driven over the Chrome DevTools protocol on a
pipe (``--remote-debugging-pipe``): no driver, no downloaded browser, no open port. The
test fails (never skips) when Chromium is missing. Checked: no console error or
uncaught exception, no request other than the page itself, the node and edge counts the
page reports after drawing, that a function named with HTML markup shows as text and
runs nothing (also when its tooltip is opened), and a screenshot is written to
``tests/artifacts/`` (or ``$ICS_GRAPH_ARTIFACTS``) for a person to look at.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from conftest import FIXTURES

from ics_graph.checking import check
from ics_graph.loader import load_mapping
from ics_graph.visualise import graph_data, visualise

CLEAN = FIXTURES / "clean"
ARTIFACTS = Path(os.environ.get("ICS_GRAPH_ARTIFACTS") or Path(__file__).resolve().parent / "artifacts")
XSS_NAME = '<img src=x onerror="window.xssFired=1;alert(1)"></script><script>window.xssFired=2</script>'
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str:
    found = os.environ.get("CHROMIUM") or next((p for p in map(shutil.which, CANDIDATES) if p), None)
    if not found:
        pytest.fail("Chromium is not installed, so the browser test cannot run. Install it with "
                    "`apt-get install -y chromium` (Debian), or set CHROMIUM to a Chromium/Chrome binary.")
    return found


class Browser:
    """A minimal Chrome DevTools protocol client over ``--remote-debugging-pipe``
    (the browser reads commands on fd 3 and writes replies on fd 4, NUL-separated JSON)."""

    def __init__(self, binary: str, profile: Path, width: int = 1600, height: int = 1000):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        args = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
            "--metrics-recording-only", "--hide-scrollbars", "--mute-audio",
            # networking off: every host resolves to nothing and every proxied request goes nowhere
            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--window-size={width},{height}", f"--user-data-dir={profile}", "--remote-debugging-pipe",
            "about:blank",
        ]

        def wire_fds():  # in the child, before exec: our pipe ends become fds 3 and 4
            high_r, high_w = os.dup(to_browser_r), os.dup(from_browser_w)
            high_r, high_w = os.dup2(high_r, 100), os.dup2(high_w, 101)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        # close_fds=False: subprocess would close fds 3 and 4 after wire_fds ran; every
        # other descriptor of ours is close-on-exec anyway.
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, close_fds=False, preexec_fn=wire_fds)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.session = None

    def close(self) -> str:
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        return self.process.stderr.read().decode("utf-8", "replace") if self.process.stderr else ""

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from Chromium")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe (did it crash?)")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, *, session: bool = True, timeout: float = 30) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode("utf-8") + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def pump(self, seconds: float) -> None:
        """Collect events for a while."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1600, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"evaluating {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            self.pump(0.2)
        raise AssertionError(f"timed out waiting for {expression}")

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def errors(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                found.append(f"console.{params['type']}: " + " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append("exception: " + str(details.get("exception", {}).get("description") or details.get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
                entry = params["entry"]
                found.append(f"log {entry.get('level')}: {entry.get('text')} {entry.get('url', '')}")
            elif method == "Page.javascriptDialogOpening":
                found.append(f"dialog opened: {params.get('message')}")
        return found

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]


def _mapping(tmp_path):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    (folder / "extra.yaml").write_text(textwrap.dedent(f"""
        functions:
          - {{id: xss, name: {json.dumps(XSS_NAME)}, lowest_level: system, minimum_level: system}}
        delegations:
          - {{function: chc, from: north-committee, to: shire-icb, area: north, instrument: other, effective_from: 2022-07-01}}
        """), encoding="utf-8")
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
        state = browser.evaluate("({nodes: icsGraph.nodes, edges: icsGraph.edges, "
                                 "attrs: [document.getElementById('graph-status').getAttribute('data-nodes'), "
                                 "document.getElementById('graph-status').getAttribute('data-edges')], "
                                 "xss: window.xssFired === undefined ? null : window.xssFired})")
        return browser, state, expected, page
    except BaseException:
        log = browser.close()
        print(log[-3000:])
        raise


def test_the_page_draws_offline_without_errors_and_runs_no_label(tmp_path):
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

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "visualise-clean-all.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        assert browser.errors() == []
        others = [u for u in browser.requests() if u != page.as_uri() and not u.startswith("data:")]
        assert others == [], f"the page made requests: {others}"
    finally:
        browser.close()


def test_filtered_collapsed_views_draw_too(tmp_path):
    browser, state, expected, _page = _run(tmp_path, "delegation", view="delegation",
                                           collapse_neighbourhoods=True)
    try:
        assert state["nodes"] == len(expected["nodes"]) == 3
        assert state["edges"] == len(expected["edges"]) == 3
        assert sum(1 for e in expected["edges"] if e["cycle"]) == 2
        browser.screenshot(ARTIFACTS / "visualise-clean-delegation.png")
        assert browser.errors() == []
    finally:
        browser.close()


def test_a_real_pack_draws(tmp_path):
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
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.screenshot(ARTIFACTS / "visualise-northamptonshire.png")
        assert browser.errors() == []
    finally:
        browser.close()
