"""Output renderers of ``ics-graph check``: text, JSON, JUnit, SARIF, GitHub annotations.

Built from synthetic rules and findings (no graph): a cycle finding, a finding with no
location, one in a workbook cell, and one whose message holds XML/command specials.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from ics_graph.engine.rulefiles import Rule
from ics_graph.model.findings import CheckResult, Finding, Severity
from ics_graph.model.vocabulary import ID
from ics_graph.outputs.renderers import FORMATS, first_sentence, render
from ics_graph.util.errors import Location, UsageError

DATA = Path(__file__).resolve().parent / "data"
FINDINGS_SCHEMA = (
    Path(__file__).resolve().parent.parent / "ics_graph" / "outputs" / "renderers" / "findings.schema.json"
)
NASTY = "Budget < 5 & \"quoted\" 'single'\nsecond line: a, b, 100%"


def _rule(slug, severity, *, fix="Do the obvious thing. Then check again.", tags=()):
    return Rule(
        slug=slug,
        severity=severity,
        title=f"Title of {slug}",
        message="{focus}",
        rationale=f"Why {slug} matters (DOMAIN.md).",
        fix=fix,
        example="allocations:\n  - {id: x}",
        query="SELECT ?focus WHERE {}",
        path=f"rules/{slug}.rq",
        sources=("NHS Act 2006 s65Z5",),
        tags=tags,
        builtin=True,
    )


RULES = [
    _rule(
        "delegation-cycle",
        Severity.ERROR,
        fix="Remove the delegation that closes the circle; record joint working instead.",
        tags=("delegation", "cycle"),
    ),
    _rule("multiple-accountable", Severity.ERROR),
    _rule("place-coverage-gap", Severity.WARNING),
    _rule("date-inconsistency", Severity.INFO),
    _rule("area-hierarchy", Severity.WARNING),  # runs, finds nothing
]

CYCLE = Finding(
    rule="delegation-cycle",
    severity=Severity.ERROR,
    message="Delegation of Continuing healthcare goes round in a circle",
    focus=ID + "body/shire-icb",
    focus_label="Shire ICB",
    related=(ID + "body/north-committee",),
    location=Location("data/delegations.yaml", 12, 5),
    cycle=(ID + "body/shire-icb", ID + "body/north-committee", ID + "body/shire-icb"),
    cycle_labels=("Shire ICB", "North committee", "Shire ICB"),
    area_label="North",
)
NO_LOCATION = Finding(
    rule="place-coverage-gap",
    severity=Severity.WARNING,
    message="Continuing healthcare is allocated at place level in part of Shire; missing in 1: South",
    focus=ID + "function/continuing-healthcare",
    focus_label="Continuing healthcare",
    related=(ID + "area/south",),
    area_label="Shire",
)
CELL = Finding(
    rule="multiple-accountable",
    severity=Severity.ERROR,
    message="Two bodies are accountable for CHC in North",
    focus=ID + "allocation/chc--north--a",
    focus_label="CHC in North (A)",
    related=(ID + "allocation/chc--north--b",),
    location=Location("data/workbook.xlsx", 0, 0, cell="Allocations!D14"),
    hint="Keep one accountable body; make the other responsible.",
)
NASTY_FINDING = Finding(
    rule="multiple-accountable",
    severity=Severity.ERROR,
    message=NASTY,
    focus=ID + "allocation/odd",
    focus_label="Odd <one>",
    location=Location("data/odd, name: x.yaml", 3),
)
INFO = Finding(
    rule="date-inconsistency",
    severity=Severity.INFO,
    message="Valid from is after valid to",
    focus=ID + "allocation/dated",
    location=Location("data/allocations.yaml", 40),
)
ALL = [CYCLE, NO_LOCATION, CELL, NASTY_FINDING, INFO]


def _result(findings=ALL, rules=RULES, **kw) -> CheckResult:
    return CheckResult(findings=list(findings), rules=list(rules), files=["data/delegations.yaml"], **kw)


def _render(fmt, result=None, **kw):
    kw.setdefault("fail_level", Severity.ERROR)
    kw.setdefault("version", "0.1.0")
    return render(result or _result(), fmt, **kw)


# --- every format ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_byte_identical_whatever_the_order(fmt):
    forward = _render(fmt, _result(ALL, RULES))
    backward = _render(fmt, _result(list(reversed(ALL)), list(reversed(RULES))))
    assert forward.encode("utf-8") == backward.encode("utf-8")
    assert forward.endswith("\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_clean_result_renders(fmt):
    out = _render(fmt, _result([], RULES))
    assert isinstance(out, str)


def test_unknown_format_is_named():
    with pytest.raises(UsageError, match="did you mean 'sarif'"):
        _render("sarf")


def test_no_absolute_paths_or_timestamps():
    for fmt in FORMATS:
        out = _render(fmt)
        assert str(Path.cwd()) not in out
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", out)


# --- text --------------------------------------------------------------------------


def test_text_grouped_by_rule_errors_first_with_details():
    """Rules with errors come first, then warnings, then info (by slug within each), so
    what fails a run is read first."""
    out = _render("text")
    assert "\x1b[" not in out
    headers = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert headers[:4] == [
        "delegation-cycle  error  Title of delegation-cycle  (1 finding)",
        "multiple-accountable  error  Title of multiple-accountable  (2 findings)",
        "place-coverage-gap  warning  Title of place-coverage-gap  (1 finding)",
        "date-inconsistency  info  Title of date-inconsistency  (1 finding)",
    ]
    assert "  data/delegations.yaml:12:5: Delegation of Continuing healthcare goes round in a circle" in out
    assert "    entity: Shire ICB (body/shire-icb)" in out
    assert "    area: North" in out
    assert "    cycle: Shire ICB -> North committee -> Shire ICB" in out
    # the rule's fix, first sentence only; the finding's own hint wins when it has one
    assert "    hint: Remove the delegation that closes the circle; record joint working instead." in out
    assert "    hint: Keep one accountable body; make the other responsible." in out
    assert "    hint: Do the obvious thing." in out and "Then check again" not in out
    assert "  data/workbook.xlsx:Allocations!D14: Two bodies" in out
    assert "\n  Continuing healthcare is allocated at place level" in out  # no location: no prefix
    assert "    entity: allocation/dated\n" in out  # no label: id only
    assert out.splitlines()[-1] == "3 errors, 1 warning, 1 info."


def test_text_cycle_without_labels_uses_ids():
    bare = Finding(
        rule="delegation-cycle",
        severity=Severity.ERROR,
        message="circle",
        focus=ID + "body/a",
        focus_label="Body A",
        cycle=(ID + "body/a", ID + "body/b", ID + "body/a"),
    )
    out = _render("text", _result([bare]))
    assert "    cycle: Body A -> body/b -> Body A" in out


def test_text_summary_counts_hidden_and_clean():
    assert _render("text", _result([])) == "No findings.\n"
    assert (
        _render("text", _result([], waived=2, baselined=1)) == "No findings (2 hidden by waivers, 1 by the baseline).\n"
    )
    out = _render("text", _result([INFO], waived=1, baselined=3))
    assert out.splitlines()[-1] == "0 errors, 0 warnings, 1 info (1 hidden by waivers, 3 by the baseline)."


def test_text_colour_only_when_asked():
    plain = _render("text", colour=False)
    coloured = _render("text", colour=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31merror\x1b[0m" in coloured and "\x1b[33mwarning\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_first_sentence():
    assert first_sentence("Remove it.  Then\n  add another. More.") == "Remove it."
    assert first_sentence("Use e.g. a committee") == "Use e.g. a committee"


# --- JSON --------------------------------------------------------------------------


def test_json_validates_against_its_schema():
    schema = json.loads(FINDINGS_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for result in (_result(), _result([]), _result([INFO], waived=4, baselined=2)):
        doc = json.loads(_render("json", result))
        errors = sorted(validator.iter_errors(doc), key=str)
        assert not errors, errors


def test_json_content():
    doc = json.loads(_render("json", _result(waived=1)))
    assert doc["version"] == 1
    assert doc["tool"] == {"name": "ics-graph", "version": "0.1.0"}
    assert doc["summary"] == {"error": 3, "warning": 1, "info": 1, "waived": 1, "baselined": 0}
    by_focus = {f["focus"]: f for f in doc["findings"]}
    cyc = by_focus["body/shire-icb"]
    assert cyc["cycle"] == ["body/shire-icb", "body/north-committee", "body/shire-icb"]
    assert cyc["focus_iri"] == ID + "body/shire-icb"
    assert cyc["related"] == ["body/north-committee"]
    assert (cyc["file"], cyc["line"], cyc["area"]) == ("data/delegations.yaml", 12, "North")
    assert cyc["fingerprint"] == CYCLE.fingerprint
    gap = by_focus["function/continuing-healthcare"]
    assert (gap["file"], gap["line"], gap["cell"], gap["cycle"]) == (None, None, None, None)
    cell = by_focus["allocation/chc--north--a"]
    assert (cell["file"], cell["line"], cell["cell"]) == ("data/workbook.xlsx", None, "Allocations!D14")
    assert by_focus["allocation/odd"]["message"] == NASTY
    assert [f["rule"] for f in doc["findings"]] == sorted(f["rule"] for f in doc["findings"])


# --- JUnit -------------------------------------------------------------------------


def test_junit_one_case_per_rule_and_failures_at_fail_level():
    root = ET.fromstring(_render("junit", fail_level=Severity.ERROR))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite.get("name") == "ics-graph check"
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert sorted(cases) == sorted(r.slug for r in RULES)  # every rule, even with no findings
    assert all(case.get("classname") == "ics-graph.rules" for case in cases.values())
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failed == {"delegation-cycle", "multiple-accountable"}
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "5",
        "2",
        "0",
        "0",
    )
    failure = cases["multiple-accountable"].find("failure")
    assert failure.get("message") == "2 findings" and failure.get("type") == "error"
    assert NASTY.split("\n")[0] in failure.text  # escaped on the way out, intact on the way in
    assert "data/workbook.xlsx:Allocations!D14: Two bodies" in failure.text
    assert "data/delegations.yaml:12:5: Delegation" in cases["delegation-cycle"].find("failure").text
    gap = cases["place-coverage-gap"]
    assert gap.find("failure") is None and "missing in 1: South" in gap.find("system-out").text
    assert not list(cases["area-hierarchy"])  # clean rule: an empty, passing case


def test_junit_fail_level_moves_findings():
    cases = {c.get("name"): c for c in ET.fromstring(_render("junit", fail_level=Severity.INFO)).iter("testcase")}
    assert {n for n, c in cases.items() if c.find("failure") is not None} == {
        "delegation-cycle",
        "multiple-accountable",
        "place-coverage-gap",
        "date-inconsistency",
    }
    cases = {c.get("name"): c for c in ET.fromstring(_render("junit", fail_level=None)).iter("testcase")}
    assert all(c.find("failure") is None for c in cases.values())
    assert "Two bodies" in cases["multiple-accountable"].find("system-out").text


def test_junit_escapes_markup_and_control_characters():
    odd = Finding(
        rule="multiple-accountable", severity=Severity.ERROR, message='a\x01b ]]> <x/> & "q"', focus=ID + "allocation/x"
    )
    text = _render("junit", _result([odd]))
    assert "<x/>" not in text and "&amp;" in text
    failure = ET.fromstring(text).find(".//failure")
    assert 'a\ufffdb ]]> <x/> & "q"' in failure.text


# --- SARIF -------------------------------------------------------------------------


def _sarif_validator():
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    # The schema declares its own draft (2020-12 in this copy); use the validator it asks
    # for. The file has a slip (an ``anyOf`` under region.properties, see data/README.md),
    # so it is not meta-validated here.
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_sarif_validates_against_the_official_schema():
    validator = _sarif_validator()
    for result in (_result(), _result([]), _result([NO_LOCATION], rules=[])):
        doc = json.loads(_render("sarif", result))
        errors = sorted(validator.iter_errors(doc), key=str)
        assert not errors, errors
    # and the validator does reject a broken log
    assert list(validator.iter_errors({"version": "2.1.0", "runs": [{"results": []}]}))


def test_sarif_rules_results_and_locations():
    doc = json.loads(_render("sarif"))
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json" and doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "ics-graph",
        "0.1.0",
        "https://w3id.org/ics-graph",
    )
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(r.slug for r in RULES)
    cycle_rule = driver["rules"][ids.index("delegation-cycle")]
    assert cycle_rule["name"] == "DelegationCycle"
    assert cycle_rule["shortDescription"]["text"] == "Title of delegation-cycle"
    assert cycle_rule["fullDescription"]["text"] == "Why delegation-cycle matters (DOMAIN.md)."
    assert "Remove the delegation" in cycle_rule["help"]["text"] and "allocations:" in cycle_rule["help"]["text"]
    assert "```yaml" in cycle_rule["help"]["markdown"]
    assert cycle_rule["defaultConfiguration"]["level"] == "error"
    assert cycle_rule["properties"]["tags"] == ["delegation", "cycle"]
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels["date-inconsistency"] == "note" and levels["place-coverage-gap"] == "warning"

    results = run["results"]
    assert len(results) == len(ALL)
    for res in results:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
    by_fqn = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r for r in results}

    cyc = by_fqn["body/shire-icb"]
    phys = cyc["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "data/delegations.yaml", "uriBaseId": "%SRCROOT%"}
    assert phys["region"] == {"startLine": 12, "startColumn": 5}
    assert cyc["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "body/shire-icb", "name": "Shire ICB", "kind": "object"}
    ]
    assert cyc["relatedLocations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "body/north-committee"
    assert cyc["partialFingerprints"] == {"icsGraph/v1": CYCLE.fingerprint}
    assert cyc["properties"]["cycleText"] == "Shire ICB -> North committee -> Shire ICB"
    assert cyc["level"] == "error"

    gap = by_fqn["function/continuing-healthcare"]
    assert "physicalLocation" not in gap["locations"][0] and gap["level"] == "warning"

    cell = by_fqn["allocation/chc--north--a"]
    phys = cell["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "data/workbook.xlsx" and "region" not in phys
    assert phys["properties"] == {"cell": "Allocations!D14"}
    assert "Allocations!D14" in cell["message"]["text"]

    odd = by_fqn["allocation/odd"]
    assert odd["message"]["text"] == NASTY
    assert odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "data/odd%2C%20name%3A%20x.yaml"
    assert by_fqn["allocation/dated"]["level"] == "note"


def test_sarif_uri_forms():
    from ics_graph.outputs.renderers.sarif import artifact_uri, camel_case

    assert artifact_uri("./data/a b.yaml") == ("data/a%20b.yaml", True)
    assert artifact_uri("data\\win.yaml") == ("data/win.yaml", True)
    assert artifact_uri("/abs/x.yaml") == ("file:///abs/x.yaml", False)
    assert artifact_uri("C:\\w\\x.yaml") == ("file:///C:/w/x.yaml", False)
    assert camel_case("place-coverage-gap") == "PlaceCoverageGap"


# --- GitHub ------------------------------------------------------------------------


def test_github_annotations_exact():
    lines = _render("github").splitlines()
    assert lines == [
        "::notice file=data/allocations.yaml,line=40,title=ics-graph date-inconsistency::Valid from is after valid to",
        "::error file=data/delegations.yaml,line=12,col=5,title=ics-graph delegation-cycle::"
        "Delegation of Continuing healthcare goes round in a circle",
        "::error file=data/odd%2C name%3A x.yaml,line=3,title=ics-graph multiple-accountable::"
        "Budget < 5 & \"quoted\" 'single'%0Asecond line: a, b, 100%25",
        "::error file=data/workbook.xlsx,title=ics-graph multiple-accountable::"
        "Two bodies are accountable for CHC in North (cell Allocations!D14)",
        "::warning title=ics-graph place-coverage-gap::"
        "Continuing healthcare is allocated at place level in part of Shire; missing in 1: South",
    ]


def test_github_escaping_helpers():
    from ics_graph.outputs.renderers.github import escape_data, escape_property

    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert escape_property("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d"
    assert _render("github", _result([])) == ""
