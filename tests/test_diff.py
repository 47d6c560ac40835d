"""``diff``: two versions of a mapping compared entity by entity, with the findings that
appear and those resolved.

The small cases are copies of the clean fixture (tests/fixtures/clean); the real case is
a copy of the Northamptonshire pack with the catalogue and the national frame beside it,
as in the repository. In both, the head version moves one function from place to
system, ends one delegation and adds a dependency cycle, and the diff must say exactly
that, in every format.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import FIXTURES, HASH_SEEDS, ROOT, cli_process

from ics_graph.cli import main

CLEAN = FIXTURES / "clean"
SCHEMA = ROOT / "ics_graph" / "outputs" / "renderers" / "diff.schema.json"
CHANGES = (
    "functions_moved",
    "accountability_changed",
    "allocations_added",
    "allocations_removed",
    "allocations_changed",
    "delegations_added",
    "delegations_ended",
    "delegations_changed",
    "entities_added",
    "entities_ended",
    "renamed",
    "dependencies_added",
    "dependencies_removed",
)


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["diff", *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def edit_yaml(path: Path, change) -> None:
    """Rewrite a YAML file through ``change(document)`` (no aliases, keys in their order)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    dumper = type("NoAliases", (yaml.SafeDumper,), {"ignore_aliases": lambda self, data: True})
    path.write_text(yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")


# -- the clean fixture ----------------------------------------------------------------------


def clean_versions(tmp_path: Path) -> tuple[Path, Path]:
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(CLEAN, base)
    shutil.copytree(CLEAN, head)
    # continuing healthcare moves from the two places to the system
    text = (head / "mapping.yaml").read_text(encoding="utf-8")
    places = (
        "  - {function: chc, area: north, accountable: shire-icb, effective_from: 2022-07-01}\n"
        "  - {function: chc, area: south, accountable: shire-icb, effective_from: 2022-07-01}\n"
    )
    system = (
        "  - {function: chc, area: shire, accountable: shire-icb, effective_from: 2022-07-01,"
        " level_reason: population-scale}\n"
    )
    assert places in text
    text = text.replace(places, system)
    # the delegation of continuing healthcare to the North Shire committee ends
    delegated = "instrument: committee-of-board, effective_from: 2022-07-01}"
    assert delegated in text
    text = text.replace(
        delegated, "instrument: committee-of-board, effective_from: 2022-07-01, effective_to: 2024-03-31}"
    )
    (head / "mapping.yaml").write_text(text, encoding="utf-8")
    # emergency preparedness depends on continuing healthcare, which depends on it: a cycle
    (head / "cycle.yaml").write_text("dependencies:\n  - {function: eprr, depends_on: [chc]}\n", encoding="utf-8")
    return base, head


CLEAN_TEXT = """\
ics-graph diff: {base} -> {head}

Functions moved (1):
  ~ Continuing healthcare (function/chc) in Shire (area/shire): from place level in North Shire (area/north) and South Shire (area/south) to system level in Shire (area/shire)
Delegations ended (1):
  - Continuing healthcare (function/chc) in North Shire (area/north): NHS Shire ICB (body/shire-icb) -> North Shire committee (body/north-committee), committee-of-board, from 2022-07-01: ends on 2024-03-31
Dependencies added (1):
  + Emergency preparedness (function/eprr) depends on Continuing healthcare (function/chc)
Findings that appear (1):
  + error    dependency-cycle  Continuing healthcare and Emergency preparedness depend on each other in a circle; one shortest cycle: Continuing healthcare -> Emergency preparedness -> Continuing healthcare ({head}/catalogue.yaml:3)

3 changes to the mapping; 1 finding appears, 0 resolved.
"""


def test_text_says_what_moved_ended_and_was_added_and_the_finding_it_brings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clean_versions(tmp_path)
    code, out = run("base", "head")
    assert out == CLEAN_TEXT.format(base="base", head="head")
    assert code == 1  # the cycle is an error


def test_markdown_has_headings_and_bullets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clean_versions(tmp_path)
    code, out = run("base", "head", "--format", "markdown")
    assert code == 1
    assert out.splitlines()[:3] == [
        "## ics-graph diff",
        "",
        "From base to head: 3 changes to the mapping; 1 finding appears, 0 resolved.",
    ]
    assert "### Functions moved (1)" in out and "### Delegations ended (1)" in out
    assert "### Dependencies added (1)" in out and "### Findings that appear (1)" in out
    assert "### Findings resolved" not in out  # empty groups are left out
    assert (
        "- Continuing healthcare (function/chc) in Shire (area/shire): from place level in North Shire "
        "(area/north) and South Shire (area/south) to system level in Shire (area/shire)"
    ) in out.splitlines()
    assert "- error `dependency-cycle`: Continuing healthcare and Emergency preparedness depend on each other" in out


def test_json_holds_the_same_and_validates_against_its_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clean_versions(tmp_path)
    code, out = run("base", "head", "--format", "json")
    assert code == 1
    report = json.loads(out)
    validate(report)
    assert report["summary"] == {"changes": 3, "appear": 1, "resolved": 0}
    assert {key for key in CHANGES if report[key]} == {"functions_moved", "delegations_ended", "dependencies_added"}
    (moved,) = report["functions_moved"]
    assert moved["function"]["id"] == "function/chc" and moved["system"]["id"] == "area/shire"
    assert [(p["area"]["id"], p["level"]) for p in moved["before"]] == [
        ("area/north", "place"),
        ("area/south", "place"),
    ]
    assert [(p["area"]["id"], p["level"]) for p in moved["after"]] == [("area/shire", "system")]
    (ended,) = report["delegations_ended"]
    assert (ended["how"], ended["end"], ended["delegation"]["to"]["id"]) == (
        "ends",
        "2024-03-31",
        "body/north-committee",
    )
    assert [(d["function"]["id"], d["depends_on"]["id"]) for d in report["dependencies_added"]] == [
        ("function/eprr", "function/chc")
    ]
    (appeared,) = report["findings"]["appear"]
    assert (appeared["rule"], appeared["severity"]) == ("dependency-cycle", "error")


def validate(report: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - the test extra installs it
        assert set(schema["required"]) <= set(report)
        return
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(report, schema, cls=jsonschema.Draft202012Validator)


def test_the_other_way_the_finding_is_resolved_and_nothing_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clean_versions(tmp_path)
    code, out = run("head", "base", "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["summary"] == {"changes": 3, "appear": 0, "resolved": 1}
    assert [d["how"] for d in report["delegations_ended"]] == []
    assert [c["changes"] for c in report["delegations_changed"]] == [
        [{"field": "effective_to", "before": "2024-03-31", "after": None}]
    ]
    assert report["dependencies_removed"] and not report["dependencies_added"]


def test_fail_on_never_exits_0_and_warning_still_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clean_versions(tmp_path)
    assert run("base", "head", "--fail-on", "never")[0] == 0
    assert run("base", "head", "--fail-on", "warning")[0] == 1
    assert run("base", "head")[0] == 1


def test_a_reordered_and_re_split_mapping_is_no_change(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(CLEAN, tmp_path / "base")
    head = tmp_path / "head"
    head.mkdir()
    document = yaml.safe_load((CLEAN / "mapping.yaml").read_text(encoding="utf-8"))
    sections = list(document.items())[::-1]
    for n, (section, items) in enumerate(sections):  # each section in a file of its own, items reversed
        (head / f"part-{n}.yaml").write_text(yaml.safe_dump({section: items[::-1]}, sort_keys=False), encoding="utf-8")
    shutil.copyfile(CLEAN / "catalogue.yaml", head / "zz-catalogue.yaml")
    code, out = run("base", "head")
    assert (code, out) == (
        0,
        "ics-graph diff: base -> head\n\nNo change to the mapping, and no finding appears or is resolved.\n",
    )
    report = json.loads(run("base", "head", "--format", "json")[1])
    assert report["summary"] == {"changes": 0, "appear": 0, "resolved": 0}


def test_an_accountability_change_and_new_bodies_and_areas(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(CLEAN, base)
    shutil.copytree(CLEAN, head)
    text = (head / "mapping.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "{function: chc, area: north, accountable: shire-icb, effective_from: 2022-07-01}",
        "{function: chc, area: north, accountable: [shire-icb, north-council], joint: yes, effective_from: 2022-07-01}",
    )
    text = text.replace(
        "  - {id: south-1,",
        "  - {id: south-2, name: South Two, level: neighbourhood, part_of: south}\n  - {id: south-1,",
    )
    text = text.replace("operates_in: north}", "operates_in: north, valid_to: 2025-03-31}")  # the council ends
    (head / "mapping.yaml").write_text(text, encoding="utf-8")
    _code, out = run("base", "head")
    assert (
        "Accountability changed (1):\n  ~ Continuing healthcare (function/chc) in North Shire (area/north): NHS Shire ICB (body/shire-icb) -> North Shire Council (body/north-council) and NHS Shire ICB (body/shire-icb) (jointly)\n"
        in out
    )
    assert "Bodies ended (1):\n  - North Shire Council (body/north-council): ends on 2025-03-31\n" in out
    assert "Areas added (1):\n  + South Two (area/south-2)\n" in out


def test_a_new_function_a_renamed_one_and_who_delivers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(CLEAN, base)
    shutil.copytree(CLEAN, head)
    catalogue = (head / "catalogue.yaml").read_text(encoding="utf-8")
    catalogue = catalogue.replace("name: Emergency preparedness,", "name: Emergency preparedness and resilience,")
    catalogue = catalogue.replace(
        "dependencies:",
        "  - {id: ivf, name: Specialised fertility services, holder: icb, lowest_level: system}\ndependencies:",
    )
    (head / "catalogue.yaml").write_text(catalogue, encoding="utf-8")
    text = (head / "mapping.yaml").read_text(encoding="utf-8")
    before = "{function: chc, area: north, accountable: shire-icb, effective_from: 2022-07-01}"
    assert before in text
    text = text.replace(
        before,
        "{function: chc, area: north, accountable: shire-icb, delivered_by: [north-committee], effective_from: 2022-07-01}",
    )
    (head / "mapping.yaml").write_text(text, encoding="utf-8")
    _code, out = run("base", "head")
    assert (
        "Allocations changed (1):\n  ~ Continuing healthcare (function/chc) in North Shire (area/north): "
        "delivered_by nobody -> North Shire committee (body/north-committee)\n" in out
    )
    assert "Functions added (1):\n  + Specialised fertility services (function/ivf)\n" in out
    assert "Renamed (1):\n  ~ Emergency preparedness -> Emergency preparedness and resilience (function/eprr)\n" in out
    _code, out = run("base", "head", "--format", "json")
    report = json.loads(out)
    assert report["allocations_changed"][0]["changes"] == [
        {"field": "delivered_by", "before": [], "after": ["body/north-committee"]}
    ]
    assert report["renamed"] == [
        {
            "kind": "function",
            "entity": {
                "id": "function/eprr",
                "iri": "https://w3id.org/ics-graph/id/function/eprr",
                "label": "Emergency preparedness and resilience",
            },
            "before": "Emergency preparedness",
            "after": "Emergency preparedness and resilience",
        }
    ]
    assert [e["entity"]["id"] for e in report["entities_added"]] == ["function/ivf"]
    validate(report)


# -- Markdown is escaped ---------------------------------------------------------------------

HOSTILE = "<img src=x onerror=alert(1)> [click](https://evil.example) *bold* _it_ | `code` $x$ &amp;\nline"


def test_markdown_escapes_a_hostile_label(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(CLEAN, tmp_path / "base")
    shutil.copytree(CLEAN, tmp_path / "head")
    (tmp_path / "head" / "hostile.yaml").write_text(
        yaml.safe_dump({"bodies": [{"id": "evil", "name": HOSTILE, "type": "other", "operates_in": ["north"]}]}),
        encoding="utf-8",
    )
    code, out = run("base", "head", "--format", "markdown")
    assert code == 0
    (line,) = [line for line in out.splitlines() if "evil" in line and line.startswith("- ")]
    assert line == (
        r"- \<img src=x onerror=alert(1)> \[click\](https://evil.example) \*bold\* \_it\_ \| \`code\` \$x\$ "
        r"\&amp; line (body/evil)"
    )
    assert not re.search(r"(?<!\\)[<\[`*_|$&]", line[2:])  # every one escaped
    # text and JSON keep the label as written (text on one line is the terminal's business)
    report = json.loads(run("base", "head", "--format", "json")[1])
    assert report["entities_added"][0]["entity"]["label"] == HOSTILE


# -- output files, usage errors, determinism --------------------------------------------------


def test_output_file_is_written_atomically_and_an_input_is_never_overwritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base, _head = clean_versions(tmp_path)
    code, shown = run("base", "head", "--format", "markdown")
    assert run("base", "head", "--format", "markdown", "-o", "diff.md")[0] == 1
    assert (tmp_path / "diff.md").read_text(encoding="utf-8") == shown
    code, out = run("base", "head", "--format", "markdown", "-o", "diff.md")
    assert code == 2 and "exists; use --force" in out
    before = (base / "mapping.yaml").read_bytes()
    (tmp_path / "link.md").symlink_to(base / "mapping.yaml")  # an input under another name
    code, out = run("base", "head", "--format", "markdown", "-o", "link.md", "--force")
    assert code == 2 and "refusing to write 'link.md' inside the mapping folder 'base'" in out
    assert (base / "mapping.yaml").read_bytes() == before
    # versions given as files: the file itself is an input
    code, out = run("base/mapping.yaml", "head/mapping.yaml", "--format", "markdown", "-o", "link.md", "--force")
    assert code == 2 and "refusing to overwrite 'link.md': the command reads it" in out
    assert (base / "mapping.yaml").read_bytes() == before
    code, out = run("base", "head", "--format", "json", "-o", "diff.md")
    assert code == 2 and "use .json" in out


def test_usage_errors_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clean_versions(tmp_path)
    code, out = run("base", "head", "extra-path")
    assert code == 2 and "PATH arguments go with --git" in out
    code, out = run("base", "nowhere")
    assert code == 2 and "'nowhere' does not exist" in out
    (tmp_path / "head" / "broken.yaml").write_text("areas:\n  - {id: x, name: X, level: sistem}\n", encoding="utf-8")
    code, out = run("base", "head")
    assert code == 2 and "head/broken.yaml:2:" in out and "invalid level 'sistem'" in out


def test_two_runs_are_byte_identical(tmp_path):
    base, head = clean_versions(tmp_path)
    for fmt in ("text", "markdown", "json"):
        first, second = (
            cli_process("diff", base, head, "--format", fmt, seed=seed, cwd=tmp_path) for seed in HASH_SEEDS
        )
        assert first.returncode == second.returncode == 1
        assert first.stdout == second.stdout and first.stdout


# -- --git ------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    done = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def diff_process(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ICS_GRAPH_CACHE": "off"}
    return subprocess.run(
        [sys.executable, "-m", "ics_graph", "diff", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture
def repository(tmp_path) -> Path:
    """A git repository with two commits: the clean fixture in data/shire, then the change."""
    repo = tmp_path / "repo"
    base, head = clean_versions(tmp_path)
    shutil.copytree(base, repo / "data" / "shire")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    shutil.rmtree(repo / "data" / "shire")
    shutil.copytree(head, repo / "data" / "shire")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    return repo


def test_git_compares_two_commits_without_touching_the_work_tree(repository):
    (repository / "data" / "shire" / "mapping.yaml").write_text("not: [what, is, committed\n", encoding="utf-8")
    status = git(repository, "status", "--porcelain")
    done = diff_process("--git", "HEAD~1", "HEAD", "data/shire", cwd=repository)
    assert done.returncode == 1, done.stderr
    expected = CLEAN_TEXT.format(base="HEAD~1:data/shire", head="HEAD:data/shire").replace(
        "(HEAD:data/shire/catalogue.yaml:3)", "(data/shire/catalogue.yaml:3)"
    )
    assert done.stdout == expected
    assert git(repository, "status", "--porcelain") == status  # nothing written into the repository
    # from a folder inside the repository, paths are relative to it
    inside = diff_process("--git", "HEAD~1", "HEAD", "shire", cwd=repository / "data")
    assert inside.returncode == 1 and "Functions moved (1):" in inside.stdout
    report = json.loads(
        diff_process("--git", "HEAD~1", "HEAD", "data/shire", "--format", "json", cwd=repository).stdout
    )
    validate(report)
    assert (report["base"], report["head"], report["paths"]) == ("HEAD~1", "HEAD", ["data/shire"])
    assert report["findings"]["appear"][0]["file"] == "data/shire/catalogue.yaml"


def test_git_imports_of_sibling_folders_resolve(repository):
    """A pack importing ../catalogue reads the revision's catalogue, not the work tree's."""
    catalogue = repository / "data" / "catalogue"
    catalogue.mkdir()
    git(repository, "mv", "data/shire/catalogue.yaml", "data/catalogue/functions.yaml")
    (repository / "data" / "shire" / "pack.yaml").write_text("imports: [../catalogue]\n", encoding="utf-8")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "catalogue apart")
    shutil.rmtree(catalogue)  # the work tree lacks it; the revisions have it
    done = diff_process("--git", "HEAD~1", "HEAD", "data/shire", cwd=repository)
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("No change to the mapping, and no finding appears or is resolved.\n")


def test_git_errors_name_the_revision_file_and_line(repository):
    done = diff_process("--git", "no-such-branch", "HEAD", "data/shire", cwd=repository)
    assert done.returncode == 2 and "'no-such-branch' is not a revision" in done.stderr
    done = diff_process("--git", "HEAD~1", "HEAD", "data/elsewhere", cwd=repository)
    assert done.returncode == 2 and "'data/elsewhere' is neither in HEAD~1 nor in HEAD" in done.stderr
    done = diff_process("--git", "HEAD~1", "HEAD", cwd=repository)
    assert done.returncode == 2 and "give the PATHs" in done.stderr
    (repository / "data" / "shire" / "broken.yaml").write_text("areas:\n  - {id: x, name: X, level: sistem}\n")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "broken")
    done = diff_process("--git", "HEAD~1", "HEAD", "data/shire", cwd=repository)
    assert done.returncode == 2
    assert "error: HEAD:data/shire/broken.yaml:2:" in done.stderr and "invalid level 'sistem'" in done.stderr
    assert "/tmp" not in done.stderr and "ics-graph-diff-" not in done.stderr


def test_git_a_pack_new_in_head_is_all_added(repository):
    shutil.copytree(repository / "data" / "shire", repository / "data" / "new")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "new pack")
    report = json.loads(diff_process("--git", "HEAD~1", "HEAD", "data/new", "--format", "json", cwd=repository).stdout)
    assert len(report["entities_added"]) == 19  # the clean fixture's 4 functions, 7 areas, 7 bodies, 1 collaborative
    assert report["findings"]["appear"]


# -- the Northamptonshire pack -----------------------------------------------------------------

MOVED = """allocations:
  - id: nhn-alloc-jsna-system
    function: joint-strategic-needs-assessment
    area: northamptonshire
    accountable: [northamptonshire-icb, nhn-nnc, nhn-wnc]
    joint: yes
    effective_from: 2022-07-01
    level_reason: population-scale
"""


def pack_versions(tmp_path: Path) -> tuple[Path, Path]:
    for side in ("base", "head"):
        for folder in ("northamptonshire", "catalogue", "national"):
            shutil.copytree(ROOT / "data" / folder, tmp_path / side / "data" / folder)
        (tmp_path / side / ".git").mkdir()  # a checkout: the pack imports ../catalogue and ../national
    pack = tmp_path / "head" / "data" / "northamptonshire"
    # the joint strategic needs assessment moves from the two places to the system
    edit_yaml(
        pack / "allocations-place.yaml",
        lambda doc: doc.update(
            allocations=[
                a for a in doc["allocations"] if a.get("id") not in ("nhn-alloc-jsna-north", "nhn-alloc-jsna-west")
            ]
        ),
    )
    (pack / "moved.yaml").write_text(MOVED, encoding="utf-8")

    # NHS England's delegation of primary medical services to the ICB ends
    def end(doc):
        (pms,) = [d for d in doc["delegations"] if d["id"] == "nhn-del-pms"]
        pms["effective_to"] = "2025-03-31"

    edit_yaml(pack / "delegations.yaml", end)
    # the needs assessment depends on the strategy, which depends on it: a cycle
    (pack / "cycle.yaml").write_text(
        "dependencies:\n  - {function: joint-strategic-needs-assessment, depends_on: [integrated-care-strategy]}\n",
        encoding="utf-8",
    )
    return tmp_path / "base" / "data" / "northamptonshire", pack


def check_findings(path: Path) -> dict[str, dict]:
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    return {f["fingerprint"]: f for f in json.loads(result.output)["findings"]}


def test_the_northamptonshire_pack_change_is_exactly_three_things(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base, head = pack_versions(tmp_path)
    code, out = run(base, head, "--format", "json")
    report = json.loads(out)
    validate(report)
    assert {key for key in CHANGES if report[key]} == {"functions_moved", "delegations_ended", "dependencies_added"}
    assert report["summary"]["changes"] == 3
    (moved,) = report["functions_moved"]
    assert (moved["function"]["label"], moved["system"]["id"]) == (
        "Joint strategic needs assessment",
        "area/northamptonshire",
    )
    assert [(p["area"]["label"], p["level"]) for p in moved["before"]] == [
        ("North Northamptonshire", "place"),
        ("West Northamptonshire", "place"),
    ]
    assert [(p["area"]["label"], p["level"]) for p in moved["after"]] == [("Northamptonshire", "system")]
    (ended,) = report["delegations_ended"]
    assert (ended["delegation"]["delegation"], ended["how"], ended["end"]) == (
        "delegation/nhn-del-pms",
        "ends",
        "2025-03-31",
    )
    assert [(d["function"]["id"], d["depends_on"]["id"]) for d in report["dependencies_added"]] == [
        ("function/joint-strategic-needs-assessment", "function/integrated-care-strategy")
    ]
    # the findings: exactly those check finds in one version and not the other
    before, after = check_findings(base), check_findings(head)
    appear = sorted(f["fingerprint"] for f in report["findings"]["appear"])
    resolved = sorted(f["fingerprint"] for f in report["findings"]["resolved"])
    assert appear == sorted(set(after) - set(before)) and resolved == sorted(set(before) - set(after))
    assert "dependency-cycle" in {f["rule"] for f in report["findings"]["appear"]}
    assert code == 1

    text = run(base, head)[1]
    assert (
        "Functions moved (1):\n  ~ Joint strategic needs assessment (function/joint-strategic-needs-assessment) in Northamptonshire (area/northamptonshire): from place level in North Northamptonshire (area/nhn-north) and West Northamptonshire (area/nhn-west) to system level in Northamptonshire (area/northamptonshire)\n"
        in text
    )
    assert (
        "Delegations ended (1):\n  - Primary medical services (GP services) (function/primary-medical-services) in Northamptonshire (area/northamptonshire): NHS England (body/nhs-england) -> NHS Northamptonshire Integrated Care Board (body/northamptonshire-icb), s65z5-delegation, from 2022-07-01: ends on 2025-03-31\n"
        in text
    )
    assert (
        "Dependencies added (1):\n  + Joint strategic needs assessment (function/joint-strategic-needs-assessment) depends on Integrated care strategy (function/integrated-care-strategy)\n"
        in text
    )
    assert (
        f"; {len(appear)} finding{'s appear' if len(appear) != 1 else ' appears'}, {len(resolved)} resolved.\n" in text
    )
    markdown = run(base, head, "--format", "markdown")[1]
    assert "### Functions moved (1)" in markdown and "### Delegations ended (1)" in markdown
    assert "### Dependencies added (1)" in markdown and f"### Findings that appear ({len(appear)})" in markdown
    assert run(base, head, "--fail-on", "never")[0] == 0


def test_the_northamptonshire_pack_re_split_is_no_change(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base, _head = pack_versions(tmp_path)
    other = tmp_path / "other" / "data"
    shutil.copytree(base.parent, other)
    pack = other / "northamptonshire"
    items = yaml.safe_load((pack / "allocations-icb-system.yaml").read_text(encoding="utf-8"))["allocations"][::-1]
    (pack / "allocations-icb-system.yaml").unlink()
    half = len(items) // 2
    for name, part in (("z-second.yaml", items[:half]), ("a-first.yaml", items[half:])):
        edit = pack / name
        edit.write_text(yaml.safe_dump({"allocations": part}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (tmp_path / "other" / ".git").mkdir()
    code, out = run(base, pack)
    assert code == 0
    assert out.endswith("\n\nNo change to the mapping, and no finding appears or is resolved.\n")


# -- this repository's workflow --------------------------------------------------------------


def test_the_workflow_posts_the_markdown_diff_of_data_on_pull_requests_only():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ics-graph.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["check"]["steps"]
    (checkout,) = [step for step in steps if step.get("uses", "").startswith("actions/checkout")]
    assert checkout["with"]["fetch-depth"] == 0  # the base commit of the pull request is there
    (step,) = [step for step in steps if "ics-graph diff" in step.get("run", "")]
    assert "github.event_name == 'pull_request'" in step["if"]
    assert step["env"]["BASE"] == "${{ github.event.pull_request.base.sha }}"
    words = step["run"].split()
    assert words[:6] == ["ics-graph", "diff", "--git", '"$BASE"', "HEAD", "data"]
    assert "--format" in words and words[words.index("--format") + 1] == "markdown"
    assert words[-2:] == [">>", '"$GITHUB_STEP_SUMMARY"'] and "--fail-on" in words


def test_the_workflow_command_runs_on_this_repository():
    """The step's command, between a commit and itself: every pack read from git, no change."""
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, check=False).returncode != 0:
        pytest.skip("not a git work tree with a commit")
    done = diff_process("--git", "HEAD", "HEAD", "data", "--format", "markdown", "--fail-on", "never", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "## ics-graph diff\n\nFrom HEAD:data to HEAD:data: No change to the mapping, and no finding appears or is resolved.\n"
    )
