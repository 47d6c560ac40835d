"""``ics-graph diff``: two versions of a mapping read and checked, then compared.

A version is a path (a folder, workbook or file), or with ``git`` a revision of the git
repository the working directory is in, from which the PATHs are read without checking
anything out: the revision's whole tree is written by ``git archive`` into a private
temporary folder (so ``imports:`` of sibling folders resolve as in a checkout), read,
and removed. Nothing is written into the repository or the inputs.

Each version is checked as ``check`` would check it (the configuration found beside its
first path, its rule folders), and the findings compared by fingerprint. The two
versions are read and checked at once, on two threads: Oxigraph runs queries without the
interpreter lock, so on two cores a diff takes about as long as one check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ics_graph.app.checking import FAIL_LEVELS, run_check
from ics_graph.app.findings import default_findings
from ics_graph.app.loading import open_files
from ics_graph.engine.policy import find_config
from ics_graph.inputs.loader import load_mapping
from ics_graph.model.findings import Finding, Severity
from ics_graph.model.graph import Mapping
from ics_graph.queries.diff import FindingItem, MappingDiff, Snapshot, compare, finding_items, snapshot
from ics_graph.util.errors import InputError, Location, Problem, UsageError
from ics_graph.util.threads import Background

__all__ = ["DiffRun", "run_diff"]


@dataclass
class _Side:
    """One version: what to read, and how its file names are shown."""

    name: str  # as the user gave it (a path, or a revision)
    paths: list[str]
    root: Path | None = None  # the extracted tree of a revision
    mapping: Mapping | None = None
    snap: Snapshot | None = None
    findings: dict[str, FindingItem] = field(default_factory=dict)
    fail_level: Severity | None = Severity.ERROR
    read: tuple[str, ...] = ()  # files read besides the mapping's (configuration, rule files)

    def shown(self, file: str) -> str:
        """A file of this version as the user knows it: in a revision, its path in the
        repository (``data/my-system/pack.yaml``)."""
        if self.root is None:
            return file
        real = Path(os.path.abspath(file))
        try:
            return real.relative_to(self.root).as_posix()
        except ValueError:
            return file


@dataclass
class DiffRun:
    """What ``diff`` found, and whether it fails."""

    diff: MappingDiff
    fail_level: Severity | None
    #: Files read (mapping files of folder versions, configuration, rules), and folders
    #: read as a mapping: an output may be written over none of them.
    read: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()

    @property
    def failing(self) -> list[FindingItem]:
        return self.diff.failing(self.fail_level)


def run_diff(
    base: str,
    head: str,
    paths: Sequence[str] = (),
    *,
    git: bool = False,
    fail_on: str | None = None,
    allow_outside: bool = False,
) -> DiffRun:
    """Compare version ``base`` with version ``head`` (paths, or with ``git`` revisions
    from which ``paths`` are read). ``fail_on`` is check's (default: the configuration's
    of ``head``, else error). Raises :class:`UsageError` or :class:`InputError` (naming
    file and line; in a revision, ``REV:path``)."""
    if not git and paths:
        raise UsageError(
            "PATH arguments go with --git (BASE and HEAD are then revisions); without --git, "
            "BASE and HEAD are the two paths to compare"
        )
    if git and not paths:
        raise UsageError("with --git, give the PATHs to compare at the two revisions (e.g. data/my-system)")
    work = tempfile.mkdtemp(prefix="ics-graph-diff-") if git else None
    try:
        if git:
            assert work is not None
            sides = _revisions(base, head, list(paths), Path(work))
        else:
            sides = [_Side(base, [base]), _Side(head, [head])]
            for side in sides:
                if not os.path.exists(side.name):
                    raise UsageError(f"'{side.name}' does not exist (to compare revisions, give --git)")
        # the base is read and checked on another thread while the head is here
        other = Background(_read, sides[0], fail_on, allow_outside, name="ics-graph-diff-base")
        problems: list[Problem] = []
        for step in (lambda: _read(sides[1], fail_on, allow_outside), other.result):
            try:
                step()
            except InputError as error:  # both versions' problems, at once
                problems += error.problems
        if problems:
            raise InputError(problems)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    old, new = sides
    assert old.snap is not None and new.snap is not None
    result = compare(old.snap, new.snap, old.findings, new.findings)
    read = [*old.read, *new.read]
    folders: list[str] = []
    for side in sides:
        if side.root is None and side.mapping is not None:
            read += side.mapping.files
            folders += [folder for folder, _files in side.mapping.expansions if Path(folder).is_dir()]
    if git:
        folders += [path for path in paths if Path(path).is_dir()]
    return DiffRun(result, new.fail_level, tuple(read), tuple(folders))


def _read(side: _Side, fail_on: str | None, allow_outside: bool) -> None:
    """Read and check one version (nothing, for a revision without the PATHs)."""
    if not side.paths:  # a revision in which none of the PATHs exists: an empty mapping
        import pyoxigraph as ox

        side.mapping = Mapping(ox.Store())
        side.snap = snapshot(side.mapping)
        side.fail_level = FAIL_LEVELS[fail_on or "error"]
        return
    try:
        if side.root is not None:  # an extracted revision: never kept in the load cache
            side.mapping = load_mapping(side.paths, allow_outside=allow_outside)
        else:
            side.mapping = open_files(side.paths, allow_outside=allow_outside)
        side.snap = snapshot(side.mapping)
        findings: list[Finding]
        if find_config(side.paths) is None:  # the built-in rules: findings the load cache may hold
            findings = default_findings(side.mapping)
            side.fail_level = FAIL_LEVELS[fail_on or "error"]
        else:
            run = run_check(side.mapping, side.paths, fail_on=fail_on, allow_outside=allow_outside)
            findings, side.fail_level = run.result.findings, run.fail_level
            side.read = run.read if side.root is None else ()
        side.findings = finding_items(findings, side.shown)
    except InputError as error:
        if side.root is None:
            raise
        raise InputError([_in_revision(side, problem) for problem in error.problems]) from None


def _in_revision(side: _Side, problem: Problem) -> Problem:
    """A problem in an extracted revision, naming its file as ``REV:path``."""
    loc = problem.location
    shown = side.shown(loc.file)
    if shown != loc.file:
        shown = f"{side.name}:{shown}"
    message = problem.message.replace(f"{side.root}{os.sep}", f"{side.name}:") if side.root else problem.message
    return Problem(Location(shown, loc.line, loc.column, loc.cell), message)


# -- git ------------------------------------------------------------------------------------


def _git(*args: str, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False, text=not binary)
    except OSError as exc:
        raise UsageError(f"--git: cannot run git: {exc.strerror or exc}") from None


def _revisions(base: str, head: str, paths: list[str], work: Path) -> list[_Side]:
    """The two revisions, each extracted into ``work``, with the PATHs that exist in it."""
    top = _git("rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise UsageError("--git: the working directory is not inside a git repository")
    toplevel = top.stdout.strip()
    prefix = _git("rev-parse", "--show-prefix").stdout.strip()
    inside: list[str] = []
    for path in paths:
        if os.path.isabs(path):
            path = os.path.relpath(path, os.getcwd())
        normal = os.path.normpath(os.path.join(prefix, path))
        if normal == ".." or normal.startswith(f"..{os.sep}") or os.path.isabs(normal):
            raise UsageError(f"--git: '{path}' is outside the repository")
        inside.append(normal.replace(os.sep, "/"))
    sides, present = [], []
    for n, rev in enumerate((base, head)):
        commit = _git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
        if commit.returncode != 0 or not commit.stdout.strip():
            raise UsageError(f"--git: '{rev}' is not a revision of this repository (a branch, tag or commit)")
        sha = commit.stdout.strip()
        here = [p for p in inside if p == "." or _git("cat-file", "-e", f"{sha}:{p}").returncode == 0]
        present.append(set(here))
        root = (work / f"v{n}").resolve()
        _extract(rev, sha, root, toplevel)
        (root / ".git").mkdir(exist_ok=True)  # the tree is a repository's: imports stay inside it
        sides.append(_Side(rev, [str(root / p) for p in here], root))
    missing = [p for p in inside if p not in present[0] | present[1]]
    if missing:
        raise UsageError(f"--git: '{missing[0]}' is neither in {base} nor in {head}")
    return sides


def _extract(rev: str, sha: str, root: Path, toplevel: str) -> None:
    """The whole tree of commit ``sha`` written under ``root`` (``git archive``, run at the
    top of the work tree: from a folder inside, it would write only that folder)."""
    root.mkdir(parents=True)
    process = subprocess.Popen(
        ["git", "archive", "--format=tar", sha], cwd=toplevel, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            archive.extractall(root, filter="data")  # no absolute paths, no links leading outside
    except (tarfile.TarError, OSError) as exc:
        process.kill()
        raise UsageError(f"--git: cannot read the files of {rev}: {exc}") from None
    finally:
        process.stdout.close()
        error = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
        code = process.wait()
        if process.stderr:
            process.stderr.close()
    if code != 0:
        raise UsageError(f"--git: git archive {rev} failed: {error.strip()}")
