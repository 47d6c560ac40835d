"""Load a mapping: files and folders of YAML, Turtle, N-Triples, JSON-LD or RDF/XML.

The loader walks the paths it is given (folders recursively, in sorted order), follows
``imports:`` in YAML files, parses every file, resolves references across all of them
and builds one graph. Each file's triples go in a named graph of their own, so a later
reload can replace exactly what came from one file; where each entity was written is
kept in a side graph for findings to point at.

Every problem in every file is collected before failing with :class:`InputError`, and
inputs are only ever read. A large mapping's YAML files are read by several processes
at once (:mod:`ics_graph.inputs.readers`), to the same graph and the same errors.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ics_graph.inputs.authoring import Registry, declare
from ics_graph.inputs.kept import KeptFile, KeptFiles
from ics_graph.inputs.rdf import (
    RdfFile,
    ill_typed_dates,
    may_hold_unsafe_text,
    named_in_ntriples,
    undefined_references,
    unsafe_literals,
)
from ics_graph.inputs.readers import (
    Asking,
    FileRead,
    ReadingPool,
    convert_file,
    digest_of,
    import_targets,
    nquads,
    read_bytes,
    read_file,
    worth_splitting,
)
from ics_graph.inputs.workbook import drop_repeated, is_csv_workbook, read_workbook, resolve_references
from ics_graph.model import vocabulary as v
from ics_graph.model.graph import Mapping
from ics_graph.model.schema import printable
from ics_graph.util.collector import no_cyclic_collection
from ics_graph.util.errors import InputError, Location, Problem
from ics_graph.util.paths import display_path, is_inside, mapping_roots
from ics_graph.util.resources import ontology_path
from ics_graph.util.threads import Background, cores, import_soon

__all__ = ["RDF_SUFFIXES", "WORKBOOK_SUFFIXES", "YAML_SUFFIXES", "expand", "load_mapping"]

YAML_SUFFIXES = (".yaml", ".yml")
RDF_SUFFIXES = {".ttl": "TURTLE", ".nt": "N_TRIPLES", ".jsonld": "JSON_LD", ".rdf": "RDF_XML", ".owl": "RDF_XML"}
WORKBOOK_SUFFIXES = (".xlsx",)  # workbook hook: see ics_graph.inputs.workbook
DATA_SUFFIXES = (*YAML_SUFFIXES, *RDF_SUFFIXES, *WORKBOOK_SUFFIXES)
_XSD_STRING = v.PREFIXES["xsd"] + "string"


@dataclass
class _File:
    path: Path
    shown: str
    kind: str  # "yaml", "workbook" or an RDF format name
    value: Any = None  # YAML: the document; workbook: a MarkedMap; RDF: typed IRI -> Location
    named: set | None = None  # RDF: the project's IRIs the file names (None: ask the store)
    lines: dict | None = None  # RDF: the line each subject starts on
    suspect: bool = True  # RDF: may hold unsafe text (see ics_graph.inputs.rdf.may_hold_unsafe_text)
    declared: list | None = None  # YAML: the ids it declares, registered once every file is read
    remote: bool = False  # YAML read by another process, which keeps its value (see ics_graph.inputs.readers)
    raw: bytes | None = None  # YAML, with files kept: its bytes, read once (see ics_graph.inputs.kept)
    digest: str | None = None  # ... and their digest
    kept: KeptFile | None = None  # ... and what an earlier load learned of these bytes, not read again


def _is_csv_workbook(path: Path) -> bool:
    """workbook hook: a folder of CSV files named after workbook sheets is one workbook.
    The workbook module is imported only for a folder that holds a CSV file at all: it
    brings in the YAML and zip machinery it needs, which other loads need not pay for."""
    try:
        if not any(entry.name.lower().endswith(".csv") for entry in os.scandir(path)):
            return False
    except OSError:
        return False

    return is_csv_workbook(path)


def expand(
    path: Path, origin: Location | None, problems: list[Problem], *, roots: Sequence[Path] | None = None
) -> list[Path]:
    """The mapping files a path names: itself, or a folder's files (recursively, sorted;
    hidden files and Office lock files skipped; a CSV workbook folder as one). What
    cannot be read is added to ``problems``, at ``origin`` (an ``imports:`` entry) if given.

    With ``roots`` (see :func:`ics_graph.util.paths.mapping_roots`), the path and every
    symbolic link met in a folder (to a file or a folder alike) must lead inside one of
    them: one that leads outside is a problem, at ``origin`` or naming the link, and is
    not read. Symbolic links to folders are followed (once: a loop is not walked again)."""
    if _undecodable(path, origin, problems) or _unusable(path, origin, problems):
        return []
    if roots is not None and not is_inside(path, roots):
        problems.append(Problem(origin or Location(display_path(path)), _outside(path, roots, origin is not None)))
        return []
    if path.is_dir():
        if _is_csv_workbook(path):
            return [path] if _book_inside(path, roots, problems) else []
        found: list[Path] = []
        before = len(problems)
        _walk(path, roots, problems, found, {Path(os.path.realpath(path))})
        found.sort()
        if not found and len(problems) == before:  # (a link refused there says why already)
            problems.append(
                Problem(
                    origin or Location(display_path(path)),
                    f"no mapping files (*.yaml, *.ttl, *.nt, *.jsonld, *.rdf) in folder '{display_path(path)}'",
                )
            )
        return found
    if path.is_file():
        if path.suffix.lower() not in DATA_SUFFIXES:
            problems.append(
                Problem(
                    origin or Location(display_path(path)),
                    f"unsupported file type '{path.suffix}': use .yaml, .yml, .ttl, .nt, .jsonld, .rdf, .owl or .xlsx",
                )
            )
            return []
        return [path]
    problems.append(Problem(origin or Location(display_path(path)), f"no such file or folder: '{display_path(path)}'"))
    return []


def _undecodable(path: Path, origin: Location | None, problems: list[Problem]) -> bool:
    """Whether a path's name is not valid UTF-8 (its bytes kept as surrogates), added to
    ``problems`` with the bytes escaped: such a name cannot be shown, nor be a graph name."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(display_path(path)).decode("utf-8", "backslashreplace")
        message = "this name is not valid UTF-8 (its bytes shown as \\xNN): rename the file or folder"
        problems.append(Problem(origin or Location(shown), message))
        return True
    return False


def _unusable(path: Path, origin: Location | None, problems: list[Problem]) -> bool:
    """Whether the file system cannot take a path at all (a NUL character in it, a name
    too long), added to ``problems`` with the name escaped and cut."""
    try:
        os.lstat(path)
    except ValueError:  # an embedded NUL
        why = "a path may not hold a NUL character"
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            return False  # (no such file: said below, where it is looked for)
        why = "this name is too long for the file system"
    else:
        return False
    shown = printable(display_path(path))
    problems.append(Problem(origin, f"cannot read '{shown}': {why}") if origin else Problem(Location(shown), why))
    return True


def _outside(path: Path, roots: Sequence[Path], imported: bool) -> str:
    what = f"import '{path.as_posix()}'" if imported else f"'{display_path(path)}'"
    if path.is_symlink():
        what = f"symbolic link {what}"
    return (
        f"{what} leads outside the mapping's folder tree '{display_path(roots[0])}' "
        f"(to '{os.path.realpath(path)}'); move the files inside it, or give --allow-outside"
    )


def _walk(folder: Path, roots: Sequence[Path] | None, problems: list[Problem], found: list[Path], seen: set) -> None:
    """The mapping files in ``folder`` and below, into ``found``: hidden entries and
    Office lock files skipped, a CSV workbook folder as one entry, symbolic links
    checked against ``roots`` and followed, folders in ``seen`` (those being walked,
    real paths) not walked again."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return  # an unreadable folder holds nothing readable
    for name in names:
        if name.startswith((".", "~$")):
            continue
        path = folder / name
        if _undecodable(path, None, problems):
            continue
        if roots is not None and path.is_symlink() and not is_inside(path, roots):
            problems.append(Problem(Location(display_path(path)), _outside(path, roots, False)))
            continue
        if path.is_dir():
            real = Path(os.path.realpath(path))
            if real in seen:
                continue
            if _is_csv_workbook(path):  # workbook hook: the files inside belong to it
                if _book_inside(path, roots, problems):
                    found.append(path)
            else:
                _walk(path, roots, problems, found, seen | {real})
        elif path.is_file() and path.suffix.lower() in DATA_SUFFIXES:
            found.append(path)
        elif path.suffix.lower() in DATA_SUFFIXES and path.is_symlink() and not path.exists():
            problems.append(
                Problem(
                    Location(display_path(path)),
                    f"symbolic link '{display_path(path)}' leads to '{os.readlink(path)}', which does not exist",
                )
            )


def _book_inside(book: Path, roots: Sequence[Path] | None, problems: list[Problem]) -> bool:
    """Whether every symbolic link among a CSV workbook's files leads inside ``roots``
    (the workbook reader reads them all); each that does not is a problem."""
    if roots is None:
        return True
    try:
        links = sorted(entry.name for entry in os.scandir(book) if entry.is_symlink())
    except OSError:
        return True  # the workbook reader says what it cannot read
    outside = [book / name for name in links if not is_inside(book / name, roots)]
    for link in outside:
        problems.append(Problem(Location(display_path(link)), _outside(link, roots, False)))
    return not outside


def _ntriples_subject_lines(raw: bytes) -> dict[str, int]:
    """First line of each subject in N-Triples (one statement a line), in one pass.
    A subject's statements are usually together, so most lines cost one comparison."""
    lines: dict[str, int] = {}
    previous = b""
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.startswith(previous) and previous:
            continue
        if line[:1] != b"<":
            continue
        end = line.find(b">")
        previous = line[: end + 1]
        iri = previous[1:-1].decode("utf-8", errors="replace")
        lines.setdefault(_unescape_iri(iri) if "\\" in iri else iri, number)
    return lines


_IRI_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape_iri(text: str) -> str:
    """An IRI as written in N-Triples (which may use \\uXXXX escapes) as the store holds it."""
    return _IRI_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _subject_lines(text: str) -> dict[str, int]:
    """First line on which each subject term starts a statement, for RDF text formats.

    A cheap scan, not a parse: it is only used to point findings at a line."""
    prefixes = dict(re.findall(r"@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", text, flags=re.I))
    prefixes.update(re.findall(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", text))
    lines: dict[str, int] = {}
    token = re.compile(r"^\s*(<[^>\s]+>|[A-Za-z][\w.-]*:[^\s;,]*|:[^\s;,]*)")
    for number, line in enumerate(text.splitlines(), start=1):
        m = token.match(line)
        if not m:
            continue
        term = m.group(1)
        if term.startswith("<"):
            iri = term[1:-1]
        else:
            prefix, _, local = term.partition(":")
            if prefix not in prefixes:
                continue
            iri = prefixes[prefix] + local.replace("\\", "")
        lines.setdefault(iri, number)
    return lines


def load_mapping(
    paths: Iterable[str | Path],
    *,
    with_ontology: bool = True,
    allow_outside: bool = False,
    kept: KeptFiles | None = None,
) -> Mapping:
    """Load files and folders into a :class:`ics_graph.model.graph.Mapping`.

    Raises :class:`InputError` listing every problem found (malformed files, unknown
    keys and references, invalid values, duplicate ids). Input files are never written.
    ``imports:`` and symbolic links may not lead outside the first path's folder tree
    (or its git work tree) unless ``allow_outside``. With ``kept``, YAML files an
    earlier load read are not read again, and what is learned of the others is noted
    there, for the caller to write once it keeps the load (see :mod:`ics_graph.inputs.kept`).
    """
    with no_cyclic_collection():  # see ics_graph.util.collector
        return _load_mapping(paths, with_ontology=with_ontology, allow_outside=allow_outside, kept=kept)


def _load_mapping(
    paths: Iterable[str | Path], *, with_ontology: bool, allow_outside: bool, kept: KeptFiles | None
) -> Mapping:
    import pyoxigraph as ox

    problems: list[Problem] = []
    files: dict[Path, _File] = {}
    store = ox.Store()
    queue: list[tuple[Path, Location | None]] = [(Path(p), None) for p in paths]
    if not queue:
        raise InputError([Problem(Location("<command line>"), "no input paths given")])
    expansions: list[tuple[str, list[str]]] = []  # each given or imported path and what it named
    roots = None if allow_outside else mapping_roots([path for path, _origin in queue])
    made: dict[int, str | None] = {}  # the id made for each entry read here (see Registry)
    pool: ReadingPool | None = None
    try:
        while queue:  # in rounds: the paths given, then the files they import, and so on
            yaml_files: list[_File] = []
            for path, origin in queue:
                _expand(path, origin, roots, files, yaml_files, expansions, problems, ox, store)
            queue = []
            answers: dict[int, FileRead] = {}
            if kept is not None:  # files an earlier load read are not read again
                for entry in yaml_files:
                    recalled = _recall(entry, kept)
                    if recalled is not None:
                        answers[id(entry)] = recalled
            fresh = [entry for entry in yaml_files if id(entry) not in answers]
            sizes = [_size(entry.path) for entry in fresh]
            if pool is None and worth_splitting(sizes, cores()) and not _has_workbook(files):
                pool = ReadingPool(min(cores(), len(fresh)) - 1)
            mine = {id(entry) for entry in fresh}
            if pool is not None:  # see ics_graph.inputs.readers: processes read their share meanwhile
                mine = set(pool.start_reading([(id(e), e.path, e.shown, n) for e, n in zip(fresh, sizes, strict=True)]))
            for entry in fresh:
                if id(entry) in mine:
                    entry.value, answers[id(entry)] = read_file(entry.path, entry.shown, made, entry.raw)
                else:
                    entry.remote, entry.raw, entry.digest = True, None, None
            if pool is not None:
                answers.update(pool.finish_reading())
                for entry in fresh:  # the bytes each process read, for a kept file's name
                    if entry.remote:
                        entry.digest = pool.digests[id(entry)]
            for entry in yaml_files:  # in the order of the files
                imports, entry.declared, file_problems = answers[id(entry)]
                problems.extend(file_problems)
                if file_problems:  # never kept: a kept file says no problems
                    entry.digest = None
                queue.extend(imports)
        if pool is not None and _has_workbook(files):  # a workbook imported by YAML read in processes
            values = pool.values()
            for entry in files.values():
                if entry.remote:
                    entry.value, entry.remote = values[id(entry)], False
        if _has_workbook(files):  # a workbook is resolved against every YAML file's value: none is kept
            for entry in files.values():
                if entry.kept is not None:
                    _read_late(entry, made, problems)
            kept = None

        reported: set = set()
        if _has_workbook(files):  # workbook hook: names in reference cells
            reported = resolve_references([(entry.kind, entry.value) for entry in files.values()], problems)

        authored = any(entry.kind in ("yaml", "workbook") for entry in files.values())
        if authored:  # the ids that YAML and workbook references may name (RDF alone names nothing by id)
            registry = Registry()
            registry.made = made
        for entry in files.values():
            if entry.declared is not None:  # a YAML file's ids, registered in the order of the files
                for kind, ident, location, explicit in entry.declared:
                    duplicate = registry.add(kind, ident, location, explicit)
                    if duplicate:
                        problems.append(duplicate)
            elif entry.kind == "workbook":  # workbook hook
                declare(entry.value, entry.shown, registry, problems)
            elif authored:
                _declare_rdf(entry, registry)

        if pool is not None:
            pool.start_converting(registry, noting=kept is not None)
        own_chunks: list[bytes] = []
        own_by_entry: dict[int, dict[str, Location]] = {}
        for entry in files.values():
            if not entry.remote and entry.kind in ("yaml", "workbook"):  # workbook hook
                own_chunks.append(_convert(entry, registry, made, problems, own_by_entry, kept))
        chunks = [b"".join(own_chunks)]
        del own_chunks
        if pool is not None and not problems:  # the loader's share, while the processes convert theirs
            store.load(chunks.pop(), format=ox.RdfFormat.N_QUADS)
        converted = pool.finish_converting() if pool is not None else {}
    finally:
        if pool is not None:
            pool.close()
    locations: dict[str, Location] = {}  # first file wins, as files are read in order
    by_file: dict[str, dict[str, Location]] = {}  # every file's own, for its sources graph
    for entry in files.values():
        if entry.remote:
            chunk, own, file_problems, noted = converted[id(entry)]
            chunks.append(chunk)
            problems.extend(file_problems)
            if kept is not None and noted is not None and not file_problems:
                _note(entry, kept, chunk, own, *noted)
        else:
            own = own_by_entry[id(entry)] if id(entry) in own_by_entry else dict(entry.value or {})
        by_file[v.file_graph(entry.shown)] = own
        for subject, location in own.items():
            locations.setdefault(subject, location)
    if reported:  # workbook hook: one report per unknown reference cell
        problems = drop_repeated(problems, reported)
    if problems:
        raise InputError(sorted(set(problems)))

    if chunks:
        store.load(b"".join(chunks), format=ox.RdfFormat.N_QUADS)  # every file's triples in one parse
    del chunks
    rdf_files = [entry for entry in files.values() if entry.kind not in ("yaml", "workbook")]
    _state_area_levels(store, [v.file_graph(entry.shown) for entry in rdf_files])
    _state_legal_forms(store, [v.file_graph(entry.shown) for entry in rdf_files])
    store.load(path=str(ontology_path()), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(v.ONTOLOGY_GRAPH))
    if rdf_files:
        checked = [
            RdfFile(e.shown, v.file_graph(e.shown), e.named, e.value or {}, e.lines or {}, e.suspect) for e in rdf_files
        ]
        problems = undefined_references(store, checked) + ill_typed_dates(store, checked)
        problems += unsafe_literals(store, checked)
        if problems:
            raise InputError(sorted(set(problems)))
        for entry in rdf_files:
            entry.named = entry.lines = None
    if not with_ontology:  # it was needed above, to know the terms it defines
        store.remove_graph(ox.NamedNode(v.ONTOLOGY_GRAPH))
    # The sources graphs are written when something first reads the whole store (see Mapping.store).
    return Mapping(
        store=store,
        locations=locations,
        files=[f.shown for f in files.values()],
        expansions=expansions,
        sources=by_file,
    )


def _recall(entry: _File, kept: KeptFiles) -> FileRead | None:
    """What an earlier load learned of a YAML file with these bytes (its imports, its
    declarations, no problems), or None: the file is then read, from the bytes read here."""
    entry.raw, _problems = read_bytes(entry.path, entry.shown)  # problems: said when it is read
    if entry.raw is None:
        return None
    entry.digest = digest_of(entry.raw)
    entry.kept = kept.recall(entry.shown, entry.digest)
    if entry.kept is None:
        return None
    entry.raw = None  # read again if it must be converted after all (see _read_late)
    return [(entry.path.parent / target, where) for target, where in entry.kept.imports], entry.kept.declared, []


def _read_late(entry: _File, made: dict[int, str | None], problems: list[Problem]) -> None:
    """Read a kept file after all: its ids are registered already (as kept, from the
    same bytes), its values are wanted. Bytes that are no longer those kept (changed
    since this load began) are a problem, never read as if they were."""
    entry.kept = None
    raw, read_problems = read_bytes(entry.path, entry.shown)
    if raw is None or digest_of(raw) != entry.digest:
        problems.extend(read_problems or [Problem(Location(entry.shown), "the file changed while it was being read")])
        entry.digest = None  # nothing of it is noted: its value was not read
        return
    entry.value, (_imports, _declared, file_problems) = read_file(entry.path, entry.shown, made, raw)
    problems.extend(file_problems)
    if file_problems:
        entry.digest = None


def _convert(
    entry: _File,
    registry: Registry,
    made: dict[int, str | None],
    problems: list[Problem],
    own_by_entry: dict[int, dict[str, Location]],
    kept: KeptFiles | None,
) -> bytes:
    """One YAML file's or workbook's triples as N-Quads, noting where its entities were
    written in ``own_by_entry``: a kept file's, when its conversion would ask the same
    questions with the same answers; else converted, and noted in ``kept`` if it can be."""
    if entry.kept is not None:
        if entry.kept.holds(registry):
            own_by_entry[id(entry)] = dict(entry.kept.own)
            return entry.kept.quads
        _read_late(entry, made, problems)
    asking = Asking(registry) if kept is not None and entry.kind == "yaml" else None
    quads: list = []
    before = len(problems)
    own_by_entry[id(entry)] = own = convert_file(entry.value, entry.shown, asking or registry, problems, quads)
    chunk = nquads(quads)
    questions = None if asking is None or len(problems) != before else asking.questions()
    if kept is not None and questions is not None:
        _note(entry, kept, chunk, own, import_targets(entry.value, []), questions)
    entry.raw = None
    return chunk


def _note(
    entry: _File,
    kept: KeptFiles,
    chunk: bytes,
    own: dict[str, Location],
    imports: list[tuple[str, Location]],
    asked: list[tuple[str, str, bool]],
) -> None:
    """Note a file converted without a problem (here or in a reading process) to keep,
    when it was read with no problem from the bytes whose digest names it (see
    :mod:`ics_graph.inputs.kept`)."""
    if entry.digest is not None and entry.declared is not None:
        kept.note(entry.shown, entry.digest, KeptFile(imports, list(entry.declared), asked, chunk, dict(own)))


def _expand(
    path: Path,
    origin: Location | None,
    roots: Sequence[Path] | None,
    files: dict[Path, _File],
    yaml_files: list[_File],
    expansions: list[tuple[str, list[str]]],
    problems: list[Problem],
    ox,
    store,
) -> None:
    """Note the files a path names: workbooks and RDF files are read now, YAML files
    are added to ``yaml_files``, to be read together."""
    before = len(problems)
    named = expand(path, origin, problems, roots=roots)
    problems[before:] = [replace(problem, unread=True) for problem in problems[before:]]
    expansions.append((str(path), [str(found) for found in named]))
    for found in named:
        key = found.resolve()
        if key in files:
            continue
        shown = display_path(found)
        suffix = found.suffix.lower()
        # workbook hook: an .xlsx file or a CSV folder reads into the value of a YAML file
        if found.is_dir() or suffix in WORKBOOK_SUFFIXES:
            files[key] = entry = _File(found, shown, "workbook")
            entry.value, file_problems = read_workbook(found, shown)
            problems.extend(file_problems)
            continue
        entry = _File(found, shown, "yaml" if suffix in YAML_SUFFIXES else RDF_SUFFIXES[suffix])
        files[key] = entry
        if entry.kind == "yaml":
            yaml_files.append(entry)
            continue
        try:
            raw = found.read_bytes()
        except OSError as exc:
            problems.append(Problem(Location(shown), f"cannot read file: {exc.strerror}"))
            continue
        entry.suspect = may_hold_unsafe_text(raw)
        try:
            _parse_rdf(entry, raw, problems, ox, store)
        except MemoryError as exc:  # Oxigraph's parser holds no term over 16 MiB
            if "buffer maximal size" not in str(exc):
                raise
            store.remove_graph(ox.NamedNode(v.file_graph(shown)))
            problems.append(Problem(Location(shown, *_longest_run(raw)), _TOO_LONG))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # reported when the file is read
        return 0


def _has_workbook(files: dict[Path, _File]) -> bool:
    return any(entry.kind == "workbook" for entry in files.values())


_TOO_LONG = (
    "a term (a literal or an IRI) here is longer than the RDF parser's limit of 16 MiB "
    "(text values may be at most 1,000,000 characters)"
)


def _longest_run(raw: bytes) -> tuple[int, int]:
    """Line and column where the longest stretch without a quote or angle bracket (the
    likely over-long term) starts, for the message."""
    start = max(((m.end() - m.start(), m.start()) for m in re.finditer(rb"[^\"'<>]{65536,}", raw)), default=(0, 0))[1]
    return raw.count(b"\n", 0, start) + 1, start - raw.rfind(b"\n", 0, start)


def _state_area_levels(store, graphs: list[str]) -> None:
    """An area an RDF file types as a place is at place level: the ontology says so (an
    ``owl:hasValue`` restriction on ``ics:level``), and YAML and workbooks always write
    the level, but RDF need not. The rules read ``ics:level``, so the level is stated here,
    in the file's own graph, for every typed area whose level no file gives; without it
    four rules would pass over such areas in silence."""
    if not graphs:
        return
    values = " ".join(f"(<{v.ICS}{cls}> <{v.LEVELS[level].iri}>)" for cls, level in v.AREA_TYPES.values())
    level, rdf_type = v.ICS + "level", v.PREFIXES["rdf"] + "type"
    for graph in graphs:
        store.update(
            f"INSERT {{ GRAPH <{graph}> {{ ?area <{level}> ?level }} }} WHERE {{ VALUES (?class ?level) {{ {values} }} "
            f"GRAPH <{graph}> {{ ?area <{rdf_type}> ?class }} FILTER NOT EXISTS {{ GRAPH ?any {{ ?area <{level}> ?stated }} }} }}"
        )


def _state_legal_forms(store, graphs: list[str]) -> None:
    """A body an RDF file types as a place committee is a committee: YAML and workbooks
    always state a body's legal form (its type's default, see
    :data:`~ics_graph.model.vocabulary.DEFAULT_LEGAL_FORMS`), but RDF need not. The
    rules read the legal-form class, so the default is stated here, in the file's own
    graph, for every typed body that no file gives a legal form; without it an RDF
    mapping would have no statutory bodies at all."""
    if not graphs:
        return
    classes = {v.BODY_TYPES[kind]: v.LEGAL_FORMS[form] for kind, form in v.DEFAULT_LEGAL_FORMS.items()}
    values = " ".join(f"(<{v.ICS}{cls}> <{v.ICS}{form}>)" for cls, form in sorted(classes.items()))
    forms = " ".join(f"<{v.ICS}{form}>" for form in sorted(v.LEGAL_FORMS.values()))
    rdf_type = v.PREFIXES["rdf"] + "type"
    for graph in graphs:
        store.update(
            f"INSERT {{ GRAPH <{graph}> {{ ?body <{rdf_type}> ?form }} }} WHERE {{ VALUES (?class ?form) {{ {values} }} "
            f"GRAPH <{graph}> {{ ?body <{rdf_type}> ?class }} "
            f"FILTER NOT EXISTS {{ GRAPH ?any {{ ?body <{rdf_type}> ?stated }} VALUES ?stated {{ {forms} }} }} }}"
        )


def _parse_rdf(entry: _File, raw: bytes, problems: list[Problem], ox, store) -> None:
    """Parse one RDF file straight into its named graph (Oxigraph's parser, which never
    fetches external entities in RDF/XML). A file with blank nodes is parsed again term
    by term, giving its blank nodes ids by order of appearance, so that the same input
    always gives the same graph (Oxigraph would give them random ids).

    RDF/XML may declare entities in its DOCTYPE, and Oxigraph expands internal ones
    without limit (a kilobyte can expand to gigabytes): a file declaring any is refused
    before it is parsed."""
    if entry.kind == "RDF_XML":
        declared = re.search(rb"<!ENTITY", raw)
        if declared:
            line = raw.count(b"\n", 0, declared.start()) + 1
            problems.append(
                Problem(
                    Location(entry.shown, line, declared.start() - raw.rfind(b"\n", 0, declared.start())),
                    "entity declarations are not allowed in RDF/XML (they can expand without limit); "
                    "write the values out",
                )
            )
            return
    graph = ox.NamedNode(v.file_graph(entry.shown))
    base = "file:///" + quote(entry.shown)
    fmt = getattr(ox.RdfFormat, entry.kind)
    # Oxigraph parses with the interpreter lock released: the lines each subject starts
    # on are found here meanwhile, on the other core.

    make, shown = Location._make, entry.shown

    def located(iris) -> dict[str, Location]:
        line_of = lines.get
        return {iri: make((shown, line_of(iri, 0), 0, None)) for iri in iris}

    parsed = Background(store.load, raw, format=fmt, base_iri=base, to_graph=graph, name="ics-graph-parse")
    # Rule headers are YAML, and every command that loads a mapping goes on to read
    # them: PyYAML is imported meanwhile, in the time the parse leaves the interpreter free.
    import_soon("yaml")
    try:
        lines = _lines(entry.kind, raw)
        written, type_lines = _ntriples_typed(raw) if entry.kind == "N_TRIPLES" else ({}, -1)
        found = located(written)
        if entry.kind == "N_TRIPLES":
            entry.named = named_in_ntriples(raw, lines)
        entry.lines = lines
    finally:
        parsed.wait()  # never return, even with an error, while the store is being written
    try:
        parsed.result()
    except SyntaxError as exc:
        store.remove_graph(graph)
        line, column = getattr(exc, "lineno", None) or 0, getattr(exc, "offset", None) or 0
        message = str(exc.msg if hasattr(exc, "msg") else exc)
        message = re.sub(
            r"^Parser error (at line \d+ )?(between line \d+ column \d+ and line \d+ column \d+: )?(between columns \d+ and \d+: )?",
            "",
            message,
        )
        if "LoadDocumentCallback" in message:  # pyoxigraph's words for a context it may not fetch
            said = "its @context is a remote document, and ics-graph reads nothing from the network: write the context inline"
        else:
            said = f"malformed {entry.kind.replace('_', '-').title()}: {printable(message, 300)}"
        problems.append(Problem(Location(entry.shown, line, column), said))
        return
    # In N-Triples a blank node is written _:name, so text without "_:" has none (a scan of
    # the bytes, where asking the store would read every triple).
    maybe_blank = entry.kind != "N_TRIPLES" or b"_:" in raw
    if maybe_blank and store.query(
        "ASK { GRAPH ?g { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) } }", named_graphs=[graph]
    ):
        store.remove_graph(graph)
        bnodes: dict[str, object] = {}
        prefix = "b" + re.sub(r"[^A-Za-z0-9]", "", entry.shown)[-24:]

        def stable(term):
            if isinstance(term, ox.BlankNode):
                if term.value not in bnodes:
                    bnodes[term.value] = ox.BlankNode(f"{prefix}x{len(bnodes)}")
                return bnodes[term.value]
            return term

        store.extend(
            [
                ox.Quad(stable(q.subject), q.predicate, stable(q.object), graph)
                for q in ox.parse(raw, format=fmt, base_iri=base)
            ]
        )
    # Every typed IRI is an entity that findings may point at. The N-Triples text gave
    # them while Oxigraph parsed; if the store holds as many rdf:type statements as
    # that scan found, it found them all (it finds only real ones). Otherwise (other
    # spacing, escapes in IRIs, blank nodes, repeated lines) they are read from the index.
    rdf_type = ox.NamedNode(v.PREFIXES["rdf"] + "type")
    if type_lines >= 0 and type_lines == _count(store, graph, rdf_type):
        entry.value = found
        return
    entry.value = located(
        dict.fromkeys(
            q.subject.value
            for q in store.quads_for_pattern(None, rdf_type, None, graph)
            if type(q.subject) is ox.NamedNode
        )
    )


def _count(store, graph, predicate) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s {predicate} ?o }} }}")
    return int(next(iter(rows))["n"].value)


_NT_TYPE = b"> <" + v.PREFIXES["rdf"].encode() + b"type> "


def _ntriples_typed(raw: bytes) -> tuple[dict[str, None], int]:
    """The subjects of rdf:type statements written the usual way (``<s> <rdf:type> o .``
    at the start of a line, no escapes in the IRI), in order, and how many such lines
    there are: a search for the predicate, with no per-line work in Python."""
    typed: dict[str, None] = {}
    count = 0
    find, rfind = raw.find, raw.rfind
    at = find(_NT_TYPE)
    while at >= 0:
        start = rfind(b"\n", 0, at) + 1
        if raw[start : start + 1] == b"<" and find(b">", start, at) < 0 and find(b"\\", start, at) < 0:
            typed.setdefault(raw[start + 1 : at].decode("utf-8", errors="replace"), None)
            count += 1
        at = find(_NT_TYPE, at + 1)
    return typed, count


def _lines(kind: str, raw: bytes) -> dict[str, int]:
    """The line each subject starts on, for the text formats that have lines."""
    if kind == "N_TRIPLES":
        return _ntriples_subject_lines(raw)
    if kind == "TURTLE":
        return _subject_lines(raw.decode("utf-8", errors="replace"))
    return {}


def _declare_rdf(entry: _File, registry) -> None:
    for subject, location in (entry.value or {}).items():
        if subject.startswith(v.ID):
            kind, _, ident = subject[len(v.ID) :].partition("/")
            if kind in v.KINDS and ident and not registry.has(kind, ident):
                registry.add(kind, ident, location)
