"""A static website of a mapping (``ics-graph site``): plain HTML pages, one stylesheet and
two small scripts, for people who never open a terminal. It works from ``file://``: no
server, no network request, no third-party code.

This module only lays out data the queries return (:mod:`ics_graph.queries.where`,
:mod:`ics_graph.queries.entities`, the findings and the rules' documentation); it returns
the files as ``{name: text}`` and writes nothing. Pages are flat in one folder, named
from the entities' ids (:func:`page_name`), so links are plain relative file names.

Guarantees, tested in ``tests/test_site.py``:

- every text from the mapping is escaped (:func:`html.escape`); URLs are links only when
  they are ``http(s)``; the search index is JSON with ``<``, ``>`` and ``&`` escaped;
- every page carries a Content-Security-Policy allowing scripts and styles from the
  site's own files only (no inline script or style, no fetch, no frame, no form);
- pages read fully with JavaScript off; only search (and the findings filter) need it,
  and they stay hidden until the script shows them;
- the same data gives the same bytes: everything sorted, no timestamps, no random ids.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from collections.abc import Iterable

__all__ = [
    "POLICY",
    "fold",
    "page_name",
    "render_site",
    "search_index_js",
    "with_home_link",
    "with_policy",
]

#: The pages' Content-Security-Policy: the site's own script and style files, nothing else.
POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
KIND_TITLES = {
    "function": ("Function", "Functions", "functions.html"),
    "area": ("Area", "Areas", "areas.html"),
    "body": ("Body", "Bodies", "bodies.html"),
    "collaborative": ("Collaborative", "Collaboratives", "collaboratives.html"),
}
SEVERITIES = ("error", "warning", "info")
_SAFE = re.compile(r"[^a-z0-9-]+")
#: Events on one date beyond this many are folded into a <details> on the home page.
_FOLD_AFTER = 6


# -- names and escaping ------------------------------------------------------------------


@functools.cache  # pure, and asked for every link of every page
def page_name(ident: str) -> str:
    """The file name of an entity's page from its ``kind/id``: lower-case letters, digits
    and hyphens only (safe on any filesystem, also case-insensitive ones); an id that had
    to be changed to fit gets a short digest of the original, so two never share a file."""
    kind, _, rest = ident.partition("/")
    slug = _SAFE.sub("-", rest.lower()).strip("-")[:80] or "x"
    if slug != rest:
        slug += "-" + hashlib.sha256(rest.encode("utf-8")).hexdigest()[:8]
    return f"{_SAFE.sub('-', kind.lower()) or 'entity'}-{slug}.html"


def _h(text) -> str:
    return _escaped(str(text))


@functools.lru_cache(maxsize=1 << 16)  # a site escapes the same names thousands of times
def _escaped(text: str) -> str:
    return html.escape(text, quote=True)


def fold(text: str) -> str:
    """Text as search compares it: lower case, letters and digits, single spaces (the
    script's ``fold`` does the same)."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def _json(value) -> str:
    """JSON safe anywhere in HTML or a script: ``<``, ``>``, ``&`` and the JS line
    separators as ``\\u`` escapes, so no ``</script>`` or ``<!--`` can appear."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    return text


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def with_policy(page: str) -> str:
    """A page written by another output (the Functions and Decisions Map) given a
    Content-Security-Policy like the site's: no script at all, and its own inline
    styles only, pinned by hash. A page that has a policy already is left as it is."""
    if 'http-equiv="Content-Security-Policy"' in page:
        return page
    styles = " ".join(_sha256(body) for body in re.findall(r"<style>(.*?)</style>", page, re.DOTALL))
    policy = f"default-src 'none'; script-src 'none'; style-src {styles or chr(39) + 'none' + chr(39)}; base-uri 'none'; form-action 'none'"
    meta = f'<meta http-equiv="Content-Security-Policy" content="{_h(policy)}">'
    return page.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n' + meta, 1)


def with_home_link(page: str, title: str) -> str:
    """A page written by another output (the map, the graph page) with a way back: a
    navigation landmark before anything else in its body, linking to the site's home."""
    nav = f'<nav aria-label="Site"><p><a href="index.html">Back to {_h(title)}</a></p></nav>'
    return page.replace("<body>", "<body>\n" + nav, 1)


def _link_url(url: str) -> str:
    return url if re.match(r"^https?://", url, re.IGNORECASE) else ""


# -- the page frame ----------------------------------------------------------------------


class _Site:
    """What every page needs: the title, the navigation, and links to entity pages."""

    def __init__(self, title: str, as_of: str, entities: list[dict], maps: list[dict], graph: str):
        self.title, self.as_of, self.maps, self.graph = title, as_of, maps, graph
        self.entities = {e["id"]: e for e in entities}
        labels: dict[tuple[str, str], set[str]] = {}
        for e in entities:
            labels.setdefault((e["kind"], e["label"]), set()).add(e["id"])
        #: (kind, label) -> id, where the label names one entity of that kind only
        self.by_label = {key: next(iter(ids)) for key, ids in labels.items() if len(ids) == 1}
        self._named: dict[tuple[str, str], str] = {}
        self._rows: dict[tuple, list[str]] = {}

    def link(self, ident: str, text: str | None = None) -> str:
        """A link to an entity's page, or its name as text when it has none."""
        entity = self.entities.get(ident)
        shown = text if text is not None else (entity["label"] if entity else ident)
        if entity is None:
            return _h(shown)
        return f'<a href="{_h(page_name(ident))}">{_h(shown)}</a>'

    def named(self, kind: str, label: str) -> str:
        """A name from an answer (answers carry labels), linked when it names one entity."""
        if not label:
            return ""
        known = self._named.get((kind, label))
        if known is None:
            ident = self.by_label.get((kind, label))
            known = self._named[kind, label] = self.link(ident, label) if ident else _h(label)
        return known

    def holding_row(self, item: dict) -> list[str]:
        """The cells of an area page's row for an item of the ``at`` answer. An
        allocation shows in the page of every area it covers, with the same cells
        wherever its relation to the area and its delegation chain are the same."""
        key = (item["allocation"], item["relation"], *(s["delegation"] for s in item["chain"]))
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = [
                self.link(item["function_id"], item["function"]),
                f"{_h(item['relation'])} ({self.named('area', item['area'])})",
                _h(item["accountable"]),
                ", ".join(self.named("body", b) for b in item["delivered_by"]),
                _h(f"{item['status'] or 'current'}, {_dates(item['start'], item['end'])}"),
                ", ".join(self.named("body", s["to_body"]) for s in item["chain"]),
            ]
        return row

    def page(self, name: str, heading: str, body: list[str], *, scripts: Iterable[str] = ()) -> str:
        nav = [("index.html", "Home")]
        nav += [(file, plural) for _single, plural, file in KIND_TITLES.values()]
        nav.append(("findings.html", "Findings"))
        nav += [(m["file"], m["nav"]) for m in self.maps]
        if self.graph:
            nav.append((self.graph, "Graph"))
        items = []
        for file, words in nav:
            current = ' aria-current="page"' if file == name else ""
            items.append(f'<li><a href="{_h(file)}"{current}>{_h(words)}</a></li>')
        when = f" as it stands on {self.as_of}" if self.as_of else " (all dates)"
        out = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_h(POLICY)}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="ics-graph site">',
            f"<title>{_h(heading)} - {_h(self.title)}</title>",
            '<link rel="stylesheet" href="site.css">',
            "</head>",
            "<body>",
            '<a class="skip" href="#main">Skip to the content</a>',
            "<header>",
            f'<p class="site-title"><a href="index.html">{_h(self.title)}</a></p>',
            '<nav aria-label="Site">',
            "<ul>",
            *items,
            "</ul>",
            "</nav>",
            '<div id="search" class="search" role="search" hidden>',
            '<label for="search-input">Search functions, areas, bodies and collaboratives</label>',
            '<input id="search-input" type="search" autocomplete="off" spellcheck="false" '
            'aria-describedby="search-help" aria-controls="search-results">',
            '<p id="search-help" class="help">Names, synonyms, ids and codes; spelling mistakes are forgiven. '
            "Press the down arrow to reach the results.</p>",
            '<ul id="search-results" aria-live="polite"></ul>',
            "</div>",
            "</header>",
            '<main id="main">',
            f"<h1>{_h(heading)}</h1>",
            *body,
            "</main>",
            "<footer>",
            f"<p>Generated by ics-graph from the mapping{_h(when)}. Every page works offline.</p>",
            "</footer>",
            '<script src="search-index.js"></script>',
            '<script src="search.js"></script>',
            *(f'<script src="{_h(s)}"></script>' for s in scripts),
            "</body>",
            "</html>",
        ]
        return "\n".join(out) + "\n"


def _dates(start: str, end: str) -> str:
    if start and end:
        return f"from {start} to {end}"
    if start:
        return f"from {start}"
    if end:
        return f"until {end}"
    return "undated"


def _table(headings: list[str], rows: list[list[str]], empty: str) -> list[str]:
    """A table of cells already made HTML (escaped or links)."""
    if not rows:
        return [f'<p class="empty">{_h(empty)}</p>']
    out = ['<div class="table"><table>', "<thead><tr>"]
    out += [f'<th scope="col">{_h(h)}</th>' for h in headings]
    out.append("</tr></thead><tbody>")
    out += ["<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" for cells in rows]
    out.append("</tbody></table></div>")
    return out


def _facts(pairs: list[tuple[str, str]]) -> list[str]:
    """A definition list of (term, HTML) pairs, leaving out empty ones."""
    shown = [(k, v) for k, v in pairs if v]
    if not shown:
        return []
    return ['<dl class="facts">', *(f"<dt>{_h(k)}</dt><dd>{v}</dd>" for k, v in shown), "</dl>"]


def _badge(severity: str) -> str:
    return f'<span class="badge {_h(severity)}">{_h(severity)}</span>'


# -- findings ------------------------------------------------------------------------------


def _finding_item(site: _Site, finding: dict, *, links: bool = True) -> str:
    parts = [
        _badge(finding["severity"]),
        f' <a href="findings.html#rule-{_h(finding["rule"])}">{_h(finding["rule"])}</a>: ',
    ]
    parts.append(_h(finding["message"]))
    if links:
        about = [i for i in [finding["focus"], *finding["related"]] if i in site.entities]
        if about:
            parts.append(
                '<br><span class="about">About: ' + ", ".join(site.link(i) for i in dict.fromkeys(about)) + "</span>"
            )
    if finding["hint"]:
        parts.append(f'<br><span class="hint">How to fix: {_h(finding["hint"])}</span>')
    if finding["location"]:
        parts.append(f'<br><span class="source">Written at <code>{_h(finding["location"])}</code></span>')
    return "".join(parts)


def _findings_on(site: _Site, findings: list[dict], ident: str) -> list[str]:
    mine = [f for f in findings if ident == f["focus"] or ident in f["related"]]
    out = ['<section aria-labelledby="findings-heading">', '<h2 id="findings-heading">Findings</h2>']
    if not mine:
        out.append('<p class="empty">No finding of the checks is about this.</p>')
    else:
        out.append('<ul class="findings">')
        out += [f"<li>{_finding_item(site, f)}</li>" for f in mine]
        out.append("</ul>")
    return [*out, "</section>"]


def _sources(entity: dict, sources: list[dict]) -> list[str]:
    out = ['<section aria-labelledby="sources-heading">', '<h2 id="sources-heading">Sources</h2>']
    if entity.get("source"):
        out.append(f"<p>Written in the mapping at <code>{_h(entity['source'])}</code>.</p>")
    if sources:
        out.append('<ul class="sources">')
        for s in sources:
            title = _h(s["title"] or s["source"])
            url = _link_url(s["url"])
            text = f'<a href="{_h(url)}" rel="noreferrer">{title}</a>' if url else title
            extra = ", ".join(_h(x) for x in (s["publisher"], s["date"]) if x)
            item = text + (f" ({extra})" if extra else "")
            if s["locator"]:
                item += f": {_h(s['locator'])}"
            if s["for"]:
                item += f' <span class="for">for <code>{_h(s["for"])}</code></span>'
            out.append(f"<li>{item}</li>")
        out.append("</ul>")
    elif not entity.get("source"):
        out.append('<p class="empty">No source is recorded.</p>')
    return [*out, "</section>"]


# -- entity pages ----------------------------------------------------------------------------


def _holding(site: _Site, holding: dict) -> list[str]:
    where = f"{_h(holding['level'])} level in {site.named('area', holding['area'])}"
    if holding["covers_from_above"]:
        where += " (covers it from above)"
    accountable = holding["accountable"]
    names = [n for n in re.split(r", | and ", accountable.removesuffix(" (jointly)")) if n]
    if all((("body", n) in site.by_label) for n in names):
        accountable = ", ".join(site.named("body", n) for n in names) + (
            " (jointly)" if holding["accountable"].endswith(" (jointly)") else ""
        )
    else:
        accountable = _h(accountable)
    extra = ", ".join(x for x in [holding["arrangement"], f"{holding['wte']} WTE" if holding["wte"] else ""] if x)
    if holding["chain"]:
        steps = [
            f"<li>{site.named('body', s['from_body'])} to {site.named('body', s['to_body'])}: "
            f"{_h(s['instrument'] or 'delegation')}, {_h(s['status'] or 'current')}, {_h(_dates(s['start'], s['end']))}"
            f" (in {_h(s['area'])}; <code>{_h(s['source'])}</code>)</li>"
            for s in holding["chain"]
        ]
        chain = '<ol class="chain">' + "".join(steps) + "</ol>"
    else:
        chain = "none (exercised by the accountable body)"
    return _facts(
        [
            ("Sits at", where),
            ("Accountable", accountable),
            ("Delivered by", ", ".join(site.named("body", b) for b in holding["delivered_by"])),
            ("Status", _h(f"{holding['status'] or 'current'}, {_dates(holding['start'], holding['end'])}")),
            ("Arrangement", _h(extra)),
            ("Rationale", _h(holding["rationale"])),
            ("Delegation chain", chain),
            ("Source", f"<code>{_h(holding['source'])}</code>" if holding["source"] else ""),
        ]
    )


def _covered_from_above(answer: dict) -> bool:
    return (
        bool(answer["holdings"])
        and all(h["covers_from_above"] for h in answer["holdings"])
        and not answer["findings"]
        and not answer["places"]
    )


def _answer(site: _Site, answer: dict, depth: int, above: str) -> list[str]:
    tag = f"h{min(depth, 6)}"
    heading = f"{site.link(answer['id'], answer['area'])} ({_h(answer['level'])})"
    out = [f'<section class="answer"><{tag}>{heading}</{tag}>']
    if _covered_from_above(answer) and above:
        out.append(f"<p>Covered from above, as {_h(above)}.</p>")
        return [*out, "</section>"]
    if not answer["holdings"]:
        below = any(part["holdings"] for part in answer["places"])
        words = (
            "No allocation at this level or above; it sits in the areas below."
            if below
            else "Not allocated: no allocation covers this area."
        )
        out.append(f'<p class="empty">{words}</p>')
    for number, holding in enumerate(answer["holdings"]):
        if number:
            out.append("<p>Also:</p>")
        out += _holding(site, holding)
    if answer["findings"]:
        out.append('<ul class="findings">')
        for f in answer["findings"]:
            out.append(
                f"<li>{_badge(f['severity'])} "
                f'<a href="findings.html#rule-{_h(f["rule"])}">{_h(f["rule"])}</a>: {_h(f["message"])}</li>'
            )
        out.append("</ul>")
    for part in answer["places"]:
        out += _answer(site, part, depth + 1, answer["area"])
    return [*out, "</section>"]


def _function_page(site: _Site, entity: dict, report: dict, findings, sources) -> str:
    f = report["function"]
    body = _facts(
        [
            ("Id", f"<code>{_h(entity['id'])}</code>"),
            ("Code", _h(f.get("code", ""))),
            ("Also called", _h(", ".join(entity["names"]))),
            ("Category", _h(f.get("category", ""))),
            ("Statutory holder", _h(f.get("holder", ""))),
            ("Reserved", "yes" if f.get("reserved") else "no"),
            ("Lowest level", _h(f.get("lowest", ""))),
            ("Minimum scale", _h(f.get("minimum", ""))),
            ("ICBs hold it from", _h(f.get("icb_from", ""))),
        ]
    )
    body += ['<section aria-labelledby="where-heading">', '<h2 id="where-heading">Where it sits</h2>']
    if not report["systems"]:
        body.append('<p class="empty">No system with allocations is in the mapping.</p>')
    for system in report["systems"]:
        body += _answer(site, system, 3, "")
    body.append("</section>")
    body += _findings_on(site, findings, entity["id"])
    body += _sources(entity, sources)
    return site.page(page_name(entity["id"]), entity["label"], body)


def _area_page(site: _Site, entity: dict, report: dict, related: dict, findings, sources) -> str:
    a = report["area"]
    parent = related.get("part_of", [])
    parts = related.get("parts", [])
    body = _facts(
        [
            ("Id", f"<code>{_h(entity['id'])}</code>"),
            ("Level", _h(a.get("level", entity["level"]))),
            ("Kind", _h(entity["type"])),
            ("Code", _h(a.get("code", ""))),
            ("Also called", _h(", ".join(entity["names"]))),
            ("Part of", ", ".join(site.link(p) for p in parent)),
            ("Areas inside it", ", ".join(site.link(p) for p in parts)),
        ]
    )
    body += ['<section aria-labelledby="at-heading">', '<h2 id="at-heading">What sits here</h2>']
    if not report["groups"]:
        body.append('<p class="empty">Nothing is allocated in, above or inside this area.</p>')
    headings = ["Function", "Where", "Accountable", "Delivered by", "Status", "Delegated to"]
    for group in report["groups"]:
        body.append(f"<h3>{_h(group['level'].capitalize())} level</h3>")
        for category in group["categories"]:
            rows = [site.holding_row(item) for item in category["items"]]
            body.append(f"<h4>{_h(category['category'])}</h4>")
            body += _table(headings, rows, "Nothing.")
    body.append("</section>")
    body += _findings_on(site, findings, entity["id"])
    body += _sources(entity, sources)
    return site.page(page_name(entity["id"]), entity["label"], body)


_BODY_SECTIONS = [
    ("accountable_for", "Accountable for"),
    ("delivers", "Delivers"),
    ("delegated", "Has delegated"),
    ("received", "Has received"),
]


def _body_page(site: _Site, entity: dict, report: dict, findings, sources) -> str:
    b = report["body"]
    member_of = [
        site.link(m["id"], m["collaborative"])
        + _h(f" ({m['model'] or 'model not recorded'}{', as lead provider' if m['lead'] else ''})")
        for m in report["member_of"]
    ]
    body = _facts(
        [
            ("Id", f"<code>{_h(entity['id'])}</code>"),
            ("Kind", _h(b.get("type", entity["type"]))),
            ("Code", _h(b.get("code", ""))),
            ("Also called", _h(", ".join(entity["names"]))),
            ("Member of", ", ".join(member_of)),
        ]
    )
    for key, title in _BODY_SECTIONS:
        items = report[key]
        body.append(f'<section aria-labelledby="{key}-heading"><h2 id="{key}-heading">{_h(title)} ({len(items)})</h2>')
        if key in ("delegated", "received"):
            rows = [
                [
                    site.named("function", i["function"]),
                    site.named("body", i["from"]),
                    site.named("body", i["to"]),
                    site.named("area", i["area"]),
                    _h(i["instrument"] or "delegation"),
                    _h(f"{i['status'] or 'current'}, {_dates(i['start'], i['end'])}"),
                ]
                for i in items
            ]
            body += _table(["Function", "From", "To", "Area", "Instrument", "Status"], rows, "None.")
        else:
            rows = [
                [
                    site.named("function", i["function"]),
                    _h(i["level"]),
                    site.named("area", i["area"]),
                    _h(f"{i['status'] or 'current'}, {_dates(i['start'], i['end'])}"),
                ]
                for i in items
            ]
            body += _table(["Function", "Level", "Area", "Status"], rows, "None.")
        body.append("</section>")
    body += _findings_on(site, findings, entity["id"])
    body += _sources(entity, sources)
    return site.page(page_name(entity["id"]), entity["label"], body)


def _collaborative_page(site: _Site, entity: dict, related: dict, findings, sources) -> str:
    members = related.get("members", [])
    body = _facts(
        [
            ("Id", f"<code>{_h(entity['id'])}</code>"),
            ("Model", _h(entity["type"])),
            ("Also called", _h(", ".join(entity["names"]))),
        ]
    )
    body += ['<section aria-labelledby="members-heading">', f'<h2 id="members-heading">Members ({len(members)})</h2>']
    body += (
        ["<ul>", *(f"<li>{site.link(m)}</li>" for m in members), "</ul>"]
        if members
        else ['<p class="empty">None recorded.</p>']
    )
    body.append("</section>")
    body += _findings_on(site, findings, entity["id"])
    body += _sources(entity, sources)
    return site.page(page_name(entity["id"]), entity["label"], body)


# -- lists, findings, home ---------------------------------------------------------------------


def _list_page(site: _Site, kind: str, entities: list[dict]) -> str:
    _single, plural, file = KIND_TITLES[kind]
    mine = [e for e in entities if e["kind"] == kind]
    groups: dict[str, list[dict]] = {}
    for e in mine:
        groups.setdefault(e["level"] if kind == "area" else e["type"], []).append(e)
    body = [f"<p>{len(mine)} {_h(plural.lower())} in the mapping.</p>"]
    order = sorted(groups, key=lambda g: (g == "", g))
    if kind == "area":
        ranks = ["national", "regional", "system", "place", "neighbourhood"]
        order = sorted(groups, key=lambda g: (ranks.index(g) if g in ranks else 9, g))
    for group in order:
        heading = group or "(not recorded)"
        if kind == "area":
            heading = f"{heading.capitalize()} level"
        body.append(f"<h2>{_h(heading)} ({len(groups[group])})</h2>")
        rows = [
            [site.link(e["id"]), f"<code>{_h(e['id'].rsplit('/', 1)[-1])}</code>", _h(", ".join(e["names"]))]
            for e in groups[group]
        ]
        body += _table(["Name", "Id", "Also called"], rows, "None.")
    return site.page(file, plural, body)


def _findings_page(site: _Site, findings: list[dict], rules: dict[str, dict], systems: list[dict]) -> str:
    by_rule: dict[str, list[dict]] = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(f)
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES}
    body = [
        f"<p>{len(findings)} finding{'s' if len(findings) != 1 else ''} of the built-in checks: "
        + ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
        + ". Each rule is explained; open its explanation for why it matters and how to fix it.</p>"
    ]
    if by_rule:
        body += [
            '<form id="filters" class="filters" hidden>',
            '<label for="filter-severity">Severity</label>',
            '<select id="filter-severity"><option value="">all</option>',
            *(f'<option value="{s}">{s}</option>' for s in SEVERITIES),
            "</select>",
            '<label for="filter-rule">Rule</label>',
            '<select id="filter-rule"><option value="">all</option>',
            *(f'<option value="{_h(r)}">{_h(r)}</option>' for r in sorted(by_rule)),
            "</select>",
            '<label for="filter-system">System</label>',
            '<select id="filter-system"><option value="">all</option>',
            *(f'<option value="{_h(s["id"])}">{_h(s["name"])}</option>' for s in systems),
            "</select>",
            '<p id="filter-status" aria-live="polite"></p>',
            "</form>",
        ]
    else:
        body.append('<p class="empty">The checks found nothing.</p>')
    for rule in sorted(by_rule):
        info = rules.get(rule, {})
        items = by_rule[rule]
        body.append(f'<section class="rule" id="rule-{_h(rule)}" data-rule="{_h(rule)}">')
        title = f": {info['title']}" if info.get("title") else ""
        body.append(f"<h2>{_h(rule)}{_h(title)} ({len(items)})</h2>")
        if info.get("explain"):
            body.append(
                f'<details><summary>About this rule</summary><pre class="explain">{_h(info["explain"])}</pre></details>'
            )
        body.append('<ul class="findings">')
        body += [
            f'<li data-severity="{_h(f["severity"])}" data-rule="{_h(rule)}"'
            f' data-systems="{_h(" ".join(f.get("systems", [])))}">{_finding_item(site, f)}</li>'
            for f in items
        ]
        body += ["</ul>", "</section>"]
    return site.page("findings.html", "Findings", body, scripts=["findings.js"])


def _home_page(site: _Site, summary: dict, findings: list[dict], dates: list[dict]) -> str:
    totals = summary["totals"]
    body = ['<section aria-labelledby="systems-heading">', '<h2 id="systems-heading">Systems mapped</h2>']
    maps = {m["system"]: m["file"] for m in site.maps}
    if summary["systems"]:
        rows = [
            [
                site.link("area/" + s["id"], s["name"]),
                _h(s["places"]),
                _h(s["allocations"]),
                f'<a href="{_h(maps[s["id"]])}">Functions and Decisions Map</a>' if s["id"] in maps else "",
            ]
            for s in summary["systems"]
        ]
        body += _table(["System", "Places", "Allocations", "Map"], rows, "")
    else:
        body.append('<p class="empty">No system is mapped.</p>')
    body.append("</section>")
    counts = [
        ("Functions", "Function", "functions.html"),
        ("Areas", "Area", "areas.html"),
        ("Bodies", "Body", "bodies.html"),
        ("Collaboratives", "ProviderCollaborative", "collaboratives.html"),
        ("Allocations", "Allocation", ""),
        ("Delegations", "Delegation", ""),
    ]
    body += [
        '<section aria-labelledby="counts-heading">',
        '<h2 id="counts-heading">What the mapping holds</h2>',
        '<dl class="facts">',
    ]
    for words, key, file in counts:
        term = f'<a href="{file}">{words}</a>' if file else words
        body.append(f"<dt>{term}</dt><dd>{_h(totals.get(key, 0))}</dd>")
    body += ["</dl>", "</section>"]
    body += [
        '<section aria-labelledby="findings-heading">',
        '<h2 id="findings-heading">Findings by severity</h2>',
        "<ul>",
    ]
    for severity in SEVERITIES:
        n = sum(1 for f in findings if f["severity"] == severity)
        body.append(f'<li>{_badge(severity)} <a href="findings.html">{n} finding{"s" if n != 1 else ""}</a></li>')
    body += ["</ul>", "</section>"]
    body += ['<section aria-labelledby="dates-heading">', '<h2 id="dates-heading">Key dates</h2>']
    if not dates:
        body.append('<p class="empty">Nothing in the mapping is dated.</p>')
    else:
        body.append(
            "<p>When allocations and delegations come into force or end, and bodies start or end; oldest first.</p>"
        )
        by_day: dict[str, list[dict]] = {}
        for d in dates:
            by_day.setdefault(d["date"], []).append(d)
        body.append('<ol class="timeline">')
        for day in sorted(by_day):
            events = [
                f"<li>{_h(d['kind'].capitalize())} {_h(d['event'])}: {site.link(d['link'], d['text'])}</li>"
                for d in by_day[day]
            ]
            body.append(f'<li><h3><time datetime="{_h(day)}">{_h(day)}</time></h3>')
            if len(events) > _FOLD_AFTER:
                kinds: dict[tuple[str, str], int] = {}
                for d in by_day[day]:
                    kind_event = (d["kind"], d["event"])
                    kinds[kind_event] = kinds.get(kind_event, 0) + 1
                said = ", ".join(_counted(n, kind, event) for (kind, event), n in sorted(kinds.items()))
                body.append(f"<details><summary>{_h(said)}</summary><ul>{''.join(events)}</ul></details>")
            else:
                body.append(f"<ul>{''.join(events)}</ul>")
            body.append("</li>")
        body.append("</ol>")
    body.append("</section>")
    return site.page("index.html", site.title, body)


_PLURAL = {"body": "bodies"}


def _counted(n: int, kind: str, event: str) -> str:
    """'1 allocation starts', '91 allocations start', '2 bodies end'."""
    if n == 1:
        return f"1 {kind} {event}"
    verb = event[:-1] if event.endswith("s") else event
    return f"{n} {_PLURAL.get(kind, kind + 's')} {verb}"


# -- search ---------------------------------------------------------------------------------


def search_index_js(entities: list[dict]) -> str:
    """The search index as a script (``window.icsSearchIndex``): a page opened from
    ``file://`` may load a script but not fetch a JSON file."""
    records = [
        {
            "t": e["label"],
            "k": e["kind"],
            "i": e["id"].rsplit("/", 1)[-1],
            "n": e["names"],
            "d": e["level"] if e["kind"] == "area" else e["type"],
            "u": page_name(e["id"]),
        }
        for e in entities
    ]
    return "window.icsSearchIndex = " + _json(records) + ";\n"


def render_site(
    *,
    title: str,
    as_of: str,
    entities: list[dict],
    reports: dict[str, dict],
    related: dict[str, dict],
    findings: list[dict],
    rules: dict[str, dict],
    summary: dict,
    dates: list[dict],
    sources: dict[str, list[dict]],
    maps: list[dict],
    graph: str,
) -> dict[str, str]:
    """Every file of the site (``{name: text}``) but the pages written by other outputs
    (``maps``: ``{"system", "nav", "file"}``; ``graph``: the graph page's file name).

    ``entities``: ``{"id" (kind/id), "kind", "label", "level", "type", "names", "source"}``;
    ``reports``: by id, the ``as_dict()`` of ``where_is``, ``what_sits_at`` or
    ``body_report``; ``related``: by id, ``part_of``/``parts`` (areas) and ``members``
    (collaboratives), as ids; ``findings``: ``{"rule", "severity", "message", "hint",
    "focus", "related", "location", "systems"}`` with ids (``systems``: the ids of the
    mapped systems a finding concerns, for the findings filter); ``rules``: by slug, ``{"title", "explain"}``.
    """
    site = _Site(title, as_of, entities, maps, graph)
    files = {
        "site.css": _CSS.lstrip(),
        "search.js": _SEARCH_JS.lstrip(),
        "findings.js": _FINDINGS_JS.lstrip(),
        "search-index.js": search_index_js(entities),
        "index.html": _home_page(site, summary, findings, dates),
        "findings.html": _findings_page(site, findings, rules, summary.get("systems", [])),
    }
    for kind in KIND_TITLES:
        files[KIND_TITLES[kind][2]] = _list_page(site, kind, entities)
    for entity in entities:
        ident, kind = entity["id"], entity["kind"]
        mine = sources.get(ident, [])
        if kind == "function":
            page = _function_page(site, entity, reports[ident], findings, mine)
        elif kind == "area":
            page = _area_page(site, entity, reports[ident], related.get(ident, {}), findings, mine)
        elif kind == "body":
            page = _body_page(site, entity, reports[ident], findings, mine)
        else:
            page = _collaborative_page(site, entity, related.get(ident, {}), findings, mine)
        files[page_name(ident)] = page
    return files


# -- the stylesheet and the scripts (files of the site: the policy allows no inline code) -----

_CSS = """
:root { --text: #1b1b1b; --muted: #4c4c4c; --link: #005eb8; --line: #c8c8c8; --band: #e8edee; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 0; color: var(--text);
  background: #fff; line-height: 1.45; }
a { color: var(--link); } a:visited { color: #330072; }
a:focus, input:focus, select:focus, summary:focus { outline: 3px solid #ffb81c; outline-offset: 1px; }
.skip { position: absolute; left: -9999px; } .skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 2; }
header { background: var(--band); border-bottom: 4px solid var(--link); padding: .75rem 1.5rem; }
.site-title { margin: 0 0 .4rem; font-weight: 700; font-size: 1.1rem; }
nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
nav a[aria-current="page"] { font-weight: 700; color: var(--text); }
main, footer { padding: 1rem 1.5rem; max-width: 75rem; }
footer { color: var(--muted); border-top: 1px solid var(--line); }
h1 { font-size: 1.7rem; margin-top: .5rem; } h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 2px solid var(--link); }
h3 { font-size: 1.1rem; } h4, h5, h6 { font-size: 1rem; }
.search { margin-top: .6rem; position: relative; max-width: 40rem; }
.search label { display: block; font-weight: 600; }
.search input { width: 100%; font-size: 1rem; padding: .4rem; border: 2px solid var(--text); }
.help { margin: .2rem 0; color: var(--muted); font-size: .85rem; }
#search-results { list-style: none; margin: 0; padding: 0; background: #fff; }
#search-results li { padding: .25rem .4rem; border-bottom: 1px solid var(--line); }
#search-results .kind { color: var(--muted); font-size: .85rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--band); }
.answer { margin-left: .75rem; padding-left: .75rem; border-left: 3px solid var(--band); }
.empty { color: var(--muted); font-style: italic; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .2rem; font-size: .8rem; font-weight: 700; }
.badge.error { background: #b3261e; color: #fff; } .badge.warning { background: #ffe8a3; color: #5c3d00; }
.badge.info { background: #d9e8f6; color: #003b73; }
ul.findings li { margin: .4rem 0; } .hint, .about, .source, .for { color: var(--muted); }
pre.explain { white-space: pre-wrap; background: #f7f9fa; border: 1px solid var(--line); padding: .5rem; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
ol.timeline { list-style: none; padding-left: 0; } ol.timeline > li { border-left: 3px solid var(--link); padding-left: .75rem; }
ol.timeline h3 { margin: 1rem 0 .2rem; }
[hidden] { display: none !important; }
@media print {
  header nav, .search, .skip, .filters, footer { display: none !important; }
  header { background: none; border: 0; padding: 0; }
  body { font-size: 11pt; } main { padding: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
  details > *:not(summary) { display: block; }
  h2, h3 { break-after: avoid; } tr { break-inside: avoid; }
}
"""

#: The search: trigram overlap, weighted to how much of what was typed a name holds, so
#: "continuing helthcare" finds "NHS continuing healthcare". tests/test_site.py runs the
#: same scoring in Python (and this script in Chromium).
_SEARCH_JS = """
(function () {
  "use strict";
  function fold(text) {
    return String(text).toLowerCase().replace(/[^0-9a-z]+/g, " ").trim().replace(/ +/g, " ");
  }
  function trigrams(text) {
    var padded = " " + text + " ", grams = {}, i;
    for (i = 0; i + 3 <= padded.length; i++) { grams[padded.slice(i, i + 3)] = true; }
    return grams;
  }
  function size(grams) { return Object.keys(grams).length; }
  function score(query, name) {
    var q = fold(query), n = fold(name), Q, N, common = 0, g;
    if (!q || !n) { return 0; }
    if (q === n) { return 1; }
    if ((" " + n + " ").indexOf(" " + q + " ") >= 0) { return 0.95; }
    if (n.indexOf(q) >= 0) { return 0.9; }
    Q = trigrams(q); N = trigrams(n);
    for (g in Q) { if (Object.prototype.hasOwnProperty.call(N, g)) { common++; } }
    return 0.8 * common / size(Q) + 0.2 * common / size(N);
  }
  function best(query, record) {
    var names = [record.t, record.i].concat(record.n), top = 0, i;
    for (i = 0; i < names.length; i++) { top = Math.max(top, score(query, names[i])); }
    return top;
  }
  function search(query, index, limit) {
    var found = [], i, s;
    if (fold(query).length < 2) { return found; }
    for (i = 0; i < index.length; i++) {
      s = best(query, index[i]);
      if (s >= 0.5) { found.push({score: s, record: index[i]}); }
    }
    found.sort(function (a, b) {
      return b.score - a.score || (a.record.t < b.record.t ? -1 : a.record.t > b.record.t ? 1 : 0);
    });
    return found.slice(0, limit || 12);
  }
  window.icsSearch = {fold: fold, score: score, search: search};

  var box = document.getElementById("search"), input = document.getElementById("search-input"),
      list = document.getElementById("search-results"), index = window.icsSearchIndex || [];
  if (!box || !input || !list) { return; }
  box.hidden = false;
  function show() {
    var found = search(input.value, index), i, li, a, kind;
    while (list.firstChild) { list.removeChild(list.firstChild); }
    for (i = 0; i < found.length; i++) {
      li = document.createElement("li");
      a = document.createElement("a");
      a.href = found[i].record.u;
      a.textContent = found[i].record.t;
      kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = " " + found[i].record.k + (found[i].record.d ? ", " + found[i].record.d : "");
      li.appendChild(a);
      li.appendChild(kind);
      list.appendChild(li);
    }
    if (!found.length && fold(input.value).length >= 2) {
      li = document.createElement("li");
      li.textContent = "Nothing found.";
      list.appendChild(li);
    }
  }
  input.addEventListener("input", show);
  input.addEventListener("keydown", function (event) {
    var first = list.querySelector("a");
    if (event.key === "ArrowDown" && first) { event.preventDefault(); first.focus(); }
    else if (event.key === "Enter" && first) { event.preventDefault(); window.location.href = first.href; }
    else if (event.key === "Escape") { input.value = ""; show(); }
  });
  list.addEventListener("keydown", function (event) {
    var links = Array.prototype.slice.call(list.querySelectorAll("a")),
        at = links.indexOf(document.activeElement);
    if (at < 0) { return; }
    if (event.key === "ArrowDown" && at + 1 < links.length) { event.preventDefault(); links[at + 1].focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? links[at - 1] : input).focus(); }
  });
})();
"""

#: The findings filter: shows the form (hidden without JavaScript, when every finding shows).
_FINDINGS_JS = """
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var severity = document.getElementById("filter-severity"), rule = document.getElementById("filter-rule"),
      system = document.getElementById("filter-system"), status = document.getElementById("filter-status");
  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  function apply() {
    var shown = 0, sections = document.querySelectorAll("section.rule"), i, j, items, any, ok;
    for (i = 0; i < sections.length; i++) {
      items = sections[i].querySelectorAll("li[data-severity]");
      any = false;
      for (j = 0; j < items.length; j++) {
        ok = (!severity.value || items[j].getAttribute("data-severity") === severity.value) &&
             (!rule.value || items[j].getAttribute("data-rule") === rule.value) &&
             (!system.value ||
              (" " + items[j].getAttribute("data-systems") + " ").indexOf(" " + system.value + " ") >= 0);
        items[j].hidden = !ok;
        if (ok) { any = true; shown++; }
      }
      sections[i].hidden = !any;
    }
    status.textContent = shown + " shown";
  }
  severity.addEventListener("change", apply);
  rule.addEventListener("change", apply);
  system.addEventListener("change", apply);
  apply();
})();
"""
