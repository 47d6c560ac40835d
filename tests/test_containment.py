"""Containment and configuration (issue 22): configuration of the wrong types, a broken
pyproject.toml, and bad user rules (SPARQL or SHACL) are input errors at their file and
line, never a traceback; a SERVICE in a comment is not a federated query."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from ics_graph.cli import main
from ics_graph.engine.policy import find_config, read_config
from ics_graph.engine.rulefiles import load_rules
from ics_graph.model.sparql import refuse_federation
from ics_graph.util.errors import InputError, QueryError, UsageError
from ics_graph.util.files import write_folder

CLEAN = FIXTURES / "clean"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def mapping(tmp_path):
    folder = tmp_path / "mapping"
    shutil.copytree(CLEAN, folder)
    return folder


# -- configuration ----------------------------------------------------------------------


WAIVER = '[[waivers]]\nrule = "unowned-function"\nentity = "function/ifr"\nreason = "known"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            WAIVER + "expires = 2027-03-31T10:00:00\n",
            ":3: waiver 1: expires must be a date (YYYY-MM-DD), not a date and time",
        ),
        (WAIVER + "expires = 10:00:00\n", ":3: waiver 1: expires must be a date (YYYY-MM-DD), not a time"),
        (WAIVER + "expires = 20270331\n", ":3: waiver 1: expires must be a date (YYYY-MM-DD), not a number"),
        (WAIVER + 'expires = "2027-03-31T10:00"\n', ":3: waiver expiry '2027-03-31T10:00' is not a date"),
        (
            '[[waivers]]\nrule = ["unowned-function"]\nentity = "function/ifr"\nreason = 5\nexpires = 2027-03-31\n',
            ":3: waiver 1: 'reason' must be text, not a number",
        ),
        (
            '[[waivers]]\nrule = ["unowned-function"]\nentity = 7\nreason = "r"\nexpires = 2027-03-31\n',
            ":1: waiver 1: 'rule' must be text, not an array",
        ),
        ('select = "unowned-function"\nignore = 3\n', ":2: 'ignore' must be a list of rule slugs (not a number)"),
        ("select = [1, 2]\n", ":1: 'select' must be a list of rule slugs (each slug is text)"),
        ('severity = ["error"]\n', ":1: 'severity' must be a table of rule = severity, not an array"),
        ("[severity]\nunowned-function = 3\n", ":2: the severity of 'unowned-function' must be error, warning or info"),
        ("rules = 5\n", ":1: 'rules' must be a list of folders, relative to this file (not a number)"),
        ('fail-on = "sometimes"\n', ":1: invalid fail-on 'sometimes'; allowed: error, warning, info, never"),
        ("fail-on = true\n", ":1: invalid fail-on (a boolean)"),
        ("waivers = 3\n", ":1: 'waivers' must be an array of tables ([[waivers]]), not a number"),
        (
            '[waivers]\nrule = "unowned-function"\n',
            ":1: 'waivers' must be an array of tables ([[waivers]]), not a table",
        ),
        ("waivers = [1]\n", ":1: each waiver must be a table"),
    ],
)
def test_configuration_of_the_wrong_type_is_an_input_error_at_its_line(mapping, text, expected):
    (mapping / "ics-graph.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_config(mapping / "ics-graph.toml", known_rules=None)
    assert expected in str(caught.value)
    result = run("check", mapping)  # and through the command: exit 2, no traceback
    assert result.exit_code == 2
    assert "ics-graph.toml" + expected in result.output


def test_a_configuration_that_is_not_utf8_is_an_input_error(mapping):
    (mapping / "ics-graph.toml").write_bytes(b'fail-on = "warning" # \xff\n')
    result = run("check", mapping)
    assert result.exit_code == 2
    assert "ics-graph.toml: not UTF-8 text (byte 22)" in result.output


def test_a_broken_pyproject_that_configures_ics_graph_is_reported_not_ignored(mapping):
    pyproject = mapping.parent / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n\n[tool.ics-graph\nfail-on = "info"\n', encoding="utf-8")
    assert find_config([mapping]) == pyproject
    result = run("check", mapping)
    assert result.exit_code == 2
    assert "pyproject.toml:4:" in result.output and "malformed TOML" in result.output


def test_a_pyproject_table_in_any_toml_spelling_is_found(mapping):
    pyproject = mapping.parent / "pyproject.toml"
    pyproject.write_text('[tool."ics-graph"]\nfail-on = "never"\n', encoding="utf-8")
    assert find_config([mapping]) == pyproject
    assert read_config(pyproject).fail_on == "never"
    pyproject.write_text('[[tool.ics-graph.waivers]]\nrule = "x"\n', encoding="utf-8")
    assert find_config([mapping]) == pyproject


def test_a_pyproject_that_does_not_name_ics_graph_is_passed_over_even_if_broken(mapping):
    (mapping.parent / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    assert find_config([mapping]) is None
    (mapping.parent / "pyproject.toml").write_text('[project]\ndependencies = ["ics-graph"]\n', encoding="utf-8")
    assert find_config([mapping]) is None
    assert run("check", mapping).exit_code == 0


# -- user rules -------------------------------------------------------------------------

HEADER = """\
# ---
# slug: my-rule
# severity: warning
# title: A title
# message: "{focus_label} is wrong"
# rationale: Because.
# fix: Fix it.
# ---
"""

SHAPE = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ics: <https://w3id.org/ics-graph/ontology#> .
ics:MyShape a sh:NodeShape ;
    ics:ruleSlug "my-shape" ;
    sh:targetClass ics:Function ;
    sh:sparql [
        sh:message "bad" ;
        sh:select \"\"\"
SELECT $this WHERE {
  %s
}\"\"\" ] .
"""


def _rules(tmp_path, name: str, text: str):
    folder = tmp_path / "my-rules"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_sparql_rule_that_does_not_parse_is_an_error_at_its_line(tmp_path):
    rules = _rules(tmp_path, "bad.rq", HEADER + "SELECT ?focus WHERE {\n  ?focus a ics:Function . FILTER(\n}\n")
    with pytest.raises(InputError) as caught:
        load_rules([rules])
    assert "bad.rq:11:" in str(caught.value) and "SPARQL syntax error" in str(caught.value)


def test_a_sparql_rule_with_an_unknown_prefix_says_so(tmp_path):
    rules = _rules(tmp_path, "bad.rq", HEADER + "SELECT ?focus WHERE { ?focus a nope:Function }\n")
    with pytest.raises(InputError, match=r"bad\.rq:9:\d+: SPARQL syntax error: unknown prefix"):
        load_rules([rules])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("$this ?p ?o FILTER(", "my-rules/bad.ttl:11:"),  # the closing brace, on the query's fourth line
        ("SERVICE <http://example.org/sparql> { $this ?p ?o }", "a SERVICE (federated) query is not allowed"),
    ],
)
def test_a_shacl_rule_with_a_bad_select_is_an_input_error_naming_the_rule_file(tmp_path, mapping, body, expected):
    rules = _rules(tmp_path, "bad.ttl", SHAPE % body)
    with pytest.raises(InputError) as caught:
        load_rules([rules])
    assert expected in str(caught.value).replace("\\", "/")
    result = run("check", mapping, "--rules", rules)
    assert result.exit_code == 2 and "bad.ttl:" in result.output


def test_a_shacl_rule_pyshacl_refuses_is_an_input_error_when_it_runs(tmp_path, mapping):
    rules = _rules(tmp_path, "minus.ttl", SHAPE % "$this ?p ?o MINUS { $this a ?x }")
    result = run("check", mapping, "--rules", rules)
    assert result.exit_code == 2
    assert "minus.ttl: SHACL rule 'my-shape' cannot run: A SPARQL Constraint must not contain a MINUS clause" in (
        result.output
    )


def test_a_shacl_rule_with_prefixes_declared_the_shacl_way_loads(tmp_path):
    shape = textwrap.dedent(
        """\
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ics: <https://w3id.org/ics-graph/ontology#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        ics: a owl:Ontology ; sh:declare [ sh:prefix "ics" ; sh:namespace "https://w3id.org/ics-graph/ontology#" ] .
        ics:MyShape a sh:NodeShape ;
            ics:ruleSlug "my-shape" ;
            sh:targetClass ics:Function ;
            sh:sparql [ sh:prefixes ics: ; sh:select "SELECT $this WHERE { $this a ics:Function ; rdfs:label ?l }" ] .
        """
    )
    rules = _rules(tmp_path, "ok.ttl", shape)
    assert "my-shape" in {rule.slug for rule in load_rules([rules])}


def test_a_rule_file_that_is_not_utf8_is_an_input_error(tmp_path):
    rules = _rules(tmp_path, "x.rq", "")
    (rules / "x.rq").write_bytes(HEADER.encode() + b"SELECT ?focus WHERE { ?focus ?p '\xff' }\n")
    with pytest.raises(InputError, match=r"x\.rq: not UTF-8 text"):
        load_rules([rules])


# -- SERVICE and comments ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p ?o } # uses SERVICE? no",
        "# SERVICE <http://example.org/sparql> was here\nSELECT * WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p <http://example.org/#SERVICE> }",
        "SELECT * WHERE { ?s ?p <http://example.org/x#> } # SERVICE <http://example.org/> {}",
    ],
)
def test_service_in_a_comment_or_an_iri_is_not_federation(query):
    refuse_federation(query)  # no error


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        # a '#' inside an IRI starts no comment, so what follows it on the line is read
        "SELECT * WHERE { ?s ?p <http://example.org/#a> . SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        # nor inside a string
        'SELECT * WHERE { ?s ?p "#" . SERVICE <http://example.org/sparql> { ?s ?p ?o } }',
        "SELECT * WHERE { ?s ?p '''a\n#''' . SERVICE ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE { FILTER(?a < ?b) # a comment\n SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    ],
)
def test_a_real_service_is_still_refused(query):
    with pytest.raises(QueryError, match="SERVICE"):
        refuse_federation(query)


def test_sparql_command_accepts_service_in_a_comment():
    result = run("sparql", "SELECT ?f WHERE { ?f a ics:Function } LIMIT 1 # no SERVICE <x> here", CLEAN)
    assert result.exit_code == 0, result.output


# -- outputs never over an input (defect 7) ---------------------------------------------


@pytest.fixture
def baseline(tmp_path, mapping):
    path = tmp_path / "b.json"
    assert run("check", mapping, "--write-baseline", path, "--fail-on", "never").exit_code == 0
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("--baseline", "{b}", "--format", "json", "-o", "{b}"),
        ("--baseline", "{b}", "--write-baseline", "{b}"),
        ("--config", "{c}", "--format", "json", "-o", "{c}"),
        ("--format", "json", "-o", "{link}"),  # a hard link to the baseline, given as --baseline
    ],
)
def test_check_never_writes_over_a_file_it_read(tmp_path, mapping, baseline, args):
    config = tmp_path / "config.json"  # a configuration may have any name with --config
    config.write_text('fail-on = "never"\n', encoding="utf-8")
    os.link(baseline, tmp_path / "link.json")
    filled = [a.format(b=baseline, c=config, link=tmp_path / "link.json") for a in args]
    if "{link}" in args:
        filled += ["--baseline", str(baseline)]
    before = baseline.read_bytes(), config.read_bytes()
    result = run("check", mapping, *filled, "--force")
    assert result.exit_code == 2
    assert "the command reads it" in result.output
    assert (baseline.read_bytes(), config.read_bytes()) == before


def test_check_never_writes_over_a_rule_file(tmp_path, mapping):
    rules = _rules(tmp_path, "mine.rq", HEADER + "SELECT ?focus WHERE { ?focus a ics:Nation }\n")
    before = (rules / "mine.rq").read_bytes()
    # No report format is named .rq, but a link with a report's name leads to the rule file.
    os.symlink(rules / "mine.rq", tmp_path / "report.json")
    result = run("check", mapping, "--rules", rules, "--format", "json", "-o", tmp_path / "report.json", "--force")
    assert result.exit_code == 2 and "the command reads it" in result.output
    assert (rules / "mine.rq").read_bytes() == before


def test_no_output_over_an_imported_mapping_file(tmp_path):
    (tmp_path / ".git").mkdir()  # one repository: the import of a sibling folder stays inside it
    (tmp_path / "shared").mkdir()
    imported = tmp_path / "shared" / "catalogue.ttl"
    assert run("load", CLEAN / "catalogue.yaml", "-o", imported).exit_code == 0
    (tmp_path / "m").mkdir()
    shutil.copy(CLEAN / "mapping.yaml", tmp_path / "m" / "mapping.yaml")
    (tmp_path / "m" / "imports.yaml").write_text("imports: [../shared/catalogue.ttl]\n", encoding="utf-8")
    before = imported.read_bytes()
    result = run("load", tmp_path / "m", "-o", imported, "--force")
    assert result.exit_code == 2 and "the command reads it" in result.output
    assert imported.read_bytes() == before


@pytest.mark.parametrize("extra", [(), ("--as-of", "2024-01-01")])
def test_no_mapping_file_is_written_into_a_folder_read_as_the_mapping(mapping, extra):
    for command in (("load",), ("export", "--format", "ttl", *extra)):
        result = run(*command, mapping, "-o", mapping / "out.ttl")
        assert result.exit_code == 2, result.output
        assert f"inside the mapping folder '{mapping}'" in result.output
        assert "would be read as part of the mapping next time" in result.output
        assert not (mapping / "out.ttl").exists()
    assert run("check", mapping).exit_code == 0  # the next command is unharmed


def test_load_into_a_store_refuses_a_bad_output_before_writing_the_store(tmp_path, mapping):
    store = tmp_path / "store"
    result = run("load", mapping, "--store", f"oxigraph:{store}", "-o", mapping / "out.ttl")
    assert result.exit_code == 2 and "inside the mapping folder" in result.output
    assert not store.exists()


def test_no_output_into_the_store_a_command_read(tmp_path, mapping):
    store = tmp_path / "store"
    assert run("load", mapping, "--store", f"oxigraph:{store}").exit_code == 0
    for name in ("CURRENT", "report"):
        result = run("check", "--store", f"oxigraph:{store}", "-o", store / name, "--force")
        assert result.exit_code == 2 and f"inside the store '{store}'" in result.output
    assert run("info", "--store", f"oxigraph:{store}").exit_code == 0


# -- outputs: --force, extensions, folders (defect 14) ----------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("load", "{m}", "-o", "{out}/m.ttl"),
        ("check", "{m}", "-o", "{out}/report.txt"),
        ("check", "{m}", "--write-baseline", "{out}/b.json"),
        ("export", "{m}", "-o", "{out}/m.graphml"),
        ("export", "{m}", "-o", "{out}/m.xlsx"),
        ("map", "{m}", "-o", "{out}/m.md"),
        ("visualise", "{m}", "-o", "{out}/m.html"),
    ],
)
def test_an_existing_output_is_replaced_only_with_force(tmp_path, mapping, args):
    (out := tmp_path / "out").mkdir()
    filled = [a.format(m=mapping, out=out) for a in args]
    target = Path(filled[filled.index("-o") + 1] if "-o" in filled else filled[-1])
    target.write_bytes(b"keep me")
    result = run(*filled)
    assert result.exit_code == 2 and f"'{target}' exists; use --force to replace it" in result.output
    assert target.read_bytes() == b"keep me"
    assert run(*filled, "--force").exit_code == 0
    assert target.read_bytes() != b"keep me"


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("visualise",), "x.png"),
        (("export", "--format", "dot"), "x.graphml"),
        (("export", "--format", "xlsx"), "x.csv"),
        (("check", "--format", "json"), "x.sarif"),
        (("check", "--format", "junit"), "x.json"),
        (("check",), "x.html"),
        (("load",), "x.json"),
        (("load", "--format", "nt"), "x.ttl"),
        (("map",), "x.png"),
    ],
)
def test_an_extension_that_does_not_fit_the_format_is_an_error(tmp_path, mapping, args, name):
    result = run(*args, mapping, "-o", tmp_path / name)
    assert result.exit_code == 2, result.output
    assert name in result.output and "use" in result.output
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("check", "--format", "sarif"), "x.sarif"),
        (("check", "--format", "sarif"), "x.json"),
        (("check", "--format", "text"), "report"),
        (("check", "--format", "junit"), "x.xml"),
        (("export", "--format", "jsonld"), "x.json"),
        (("load",), "x.nt"),
    ],
)
def test_an_extension_that_fits_is_written(tmp_path, mapping, args, name):
    assert run(*args, mapping, "-o", tmp_path / name).exit_code in (0, 1)
    assert (tmp_path / name).stat().st_size > 0


def test_an_output_folder_that_does_not_exist_is_an_error_not_created(tmp_path, mapping):
    result = run("map", mapping, "-o", tmp_path / "missing" / "map.md")
    assert result.exit_code == 2 and "folder '" in result.output and "does not exist" in result.output
    assert not (tmp_path / "missing").exists()


# -- nothing read outside the mapping (defect 8) ----------------------------------------


@pytest.fixture
def outside(tmp_path):
    """A mapping folder in a tree of its own, and a secret beside it (no git repository)."""
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "s.yaml").write_text(
        "functions:\n  - {id: secret, name: The secret password is swordfish}\n", encoding="utf-8"
    )
    folder = tmp_path / "m"
    shutil.copytree(CLEAN, folder)
    return folder


@pytest.mark.parametrize("target", ["../secret", "../secret/s.yaml", "{abs}"])
def test_an_import_leading_outside_is_an_error_at_its_line(tmp_path, outside, target):
    target = target.format(abs=tmp_path / "secret")
    (outside / "more.yaml").write_text(f"notes_are_not_keys: 1\nimports: ['{target}']\n".split("\n", 1)[1])
    result = run("info", outside)
    assert result.exit_code == 2
    assert f"{outside / 'more.yaml'}:1:" in result.output and "leads outside the mapping's folder tree" in result.output
    assert "swordfish" not in result.output
    assert run("info", outside, "--allow-outside").exit_code == 0


@pytest.mark.parametrize("link", ["s.yaml", "sub"])
def test_symbolic_links_leading_outside_are_refused_files_and_folders_alike(tmp_path, outside, link):
    source = tmp_path / "secret" / ("s.yaml" if link == "s.yaml" else "")
    os.symlink(source, outside / link)
    result = run("check", outside)
    assert result.exit_code == 2
    assert f"symbolic link '{outside / link}' leads outside" in result.output and "swordfish" not in result.output
    allowed = run("info", outside, "--allow-outside", "--format", "json")
    assert allowed.exit_code == 0 and '"Function": 5' in allowed.output  # the clean mapping's 4, and the secret


def test_symbolic_links_inside_are_followed_files_and_folders_alike(tmp_path, outside):
    (tmp_path / ".git").mkdir()  # the repository is the tree: a sibling folder is inside it
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "more.yaml").write_text("functions:\n  - {id: linked, name: A linked function}\n")
    (tmp_path / "shared" / "other.yaml").write_text("functions:\n  - {id: linked-too, name: A linked file}\n")
    os.symlink(tmp_path / "shared", outside / "linked")  # a folder (skipped before, files were followed)
    os.symlink(tmp_path / "shared" / "other.yaml", outside / "other.yaml")  # a file
    os.symlink(outside, tmp_path / "shared" / "loop")  # a loop: not walked again
    result = run("info", outside, "--format", "json")
    assert result.exit_code == 0 and '"Function": 6' in result.output  # the clean mapping's 4, and both linked


def test_a_broken_symbolic_link_is_an_error_not_skipped(outside):
    os.symlink(outside / "gone.yaml", outside / "broken.yaml")
    result = run("info", outside)
    assert (
        result.exit_code == 2 and "broken.yaml' leads to" in result.output and "which does not exist" in result.output
    )


def test_inside_a_git_repository_the_repository_is_the_tree(tmp_path, outside):
    (outside / "more.yaml").write_text("imports: [../secret]\n", encoding="utf-8")
    assert run("info", outside).exit_code == 2
    (tmp_path / ".git").mkdir()
    assert run("info", outside).exit_code == 0


def test_a_csv_workbook_reading_a_file_outside_is_refused(tmp_path, outside):
    (tmp_path / "secret" / "Functions.csv").write_text("id,name\nsecret,Swordfish\n", encoding="utf-8")
    (book := outside / "book").mkdir()
    os.symlink(tmp_path / "secret" / "Functions.csv", book / "Functions.csv")
    result = run("info", outside)
    assert result.exit_code == 2 and "Functions.csv' leads outside" in result.output


def test_import_makes_its_output_folder_but_not_the_folders_above_it(tmp_path):
    with pytest.raises(UsageError, match=r"folder '.*missing' does not exist"):
        write_folder({"a.yaml": "x: 1\n"}, tmp_path / "missing" / "out")
    assert not (tmp_path / "missing").exists()
    write_folder({"a.yaml": "x: 1\n"}, tmp_path / "out")
    assert (tmp_path / "out" / "a.yaml").read_text() == "x: 1\n"


def test_a_configurations_rule_folders_stay_inside_its_tree(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(FIXTURES / "mini", repo / "mapping")
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "pyproject.toml").write_text('[tool.ics-graph]\nrules = ["../outside"]\n', encoding="utf-8")
    refused = run("check", repo / "mapping")
    assert refused.exit_code == 2
    assert "pyproject.toml:2: rule folder '../outside' leads outside the configuration's folder tree" in refused.output
    assert run("check", repo / "mapping", "--allow-outside").exit_code in (0, 1)
    (repo / "my-rules").mkdir()
    (repo / "pyproject.toml").write_text('[tool.ics-graph]\nrules = ["my-rules"]\n', encoding="utf-8")
    assert run("check", repo / "mapping").exit_code in (0, 1)  # inside the repository: read
