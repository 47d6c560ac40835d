"""Reading a large mapping's YAML files on every core.

Reading YAML is Python work under the interpreter lock: composing the nodes, building
the values with their positions and converting them to triples take more than half a
second per megabyte, most of a large YAML load. Threads cannot share that work;
processes can. When a load holds at least :data:`SPLIT_AT` bytes of YAML in two files or
more, the loader starts a reading process for each core but its own
(:func:`~ics_graph.util.threads.cores`) and shares the files with them, by size.

Each process keeps the values it read, so little crosses between processes: for each
file, its imports, the ids it declares, its problems and the digest of the bytes read;
then, once the loader has checked every id against every file, the file's triples as
N-Quads text and where each entity was written, and (when the loader keeps files, see
:mod:`ics_graph.inputs.kept`) the questions its conversion asked of the other files.
Declarations are recorded by the readers and registered by the loader, file by file in
the order it read them, so a duplicate id names the same first definition as a load in
one process would: the loaded graph, the locations and every error are the same either
way (``tests/test_readers.py`` compares them).

The processes run this module from the same ics_graph as the loader (its folder first
on their path, the working folder not on it), speak :mod:`pickle` over their standard
input and output (only to the process that started them), and end with the load,
however it ends.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ics_graph.inputs.authoring import Registry, convert, declare
from ics_graph.inputs.yamlsource import LARGEST_FILE, MarkedMap, read_yaml, too_large
from ics_graph.model import vocabulary as v
from ics_graph.model.turtle import escape
from ics_graph.util.errors import Location, Problem

__all__ = [
    "SPLIT_AT",
    "Asking",
    "Declared",
    "FileRead",
    "ReadingPool",
    "convert_file",
    "digest_of",
    "import_targets",
    "nquads",
    "read_bytes",
    "read_file",
    "worth_splitting",
]

#: Below this many bytes of YAML a load reads in its own process: starting the reading
#: processes (about 0.2 s, importing what they need) costs more than sharing saves.
SPLIT_AT = 2 * 2**20

_XSD_STRING = v.PREFIXES["xsd"] + "string"

#: One id a file declares: (kind, id, where, written rather than made).
Declared = tuple[str, str, Location, bool]

#: What a reading process says of one file: its imports, its declarations, its problems.
FileRead = tuple[list[tuple[Path, Location]], list[Declared], list[Problem]]

#: What the loader keeps of a file converted by a process: its imports as written, and
#: the questions its conversion asked (kind, id, whether there was one).
Noted = tuple[list[tuple[str, Location]], list[tuple[str, str, bool]]]

#: What it says once the ids are known: the file's N-Quads, where each entity was written,
#: its problems, and what to keep of it when the loader keeps files and the questions
#: can be asked again (else None).
Converted = tuple[bytes, dict[str, Location], list[Problem], Noted | None]


def digest_of(raw: bytes) -> str:
    """A file's bytes, as a kept file is named by them (:mod:`ics_graph.inputs.kept`)."""
    return hashlib.sha256(raw).hexdigest()


def read_bytes(path: Path, shown: str) -> tuple[bytes | None, list[Problem]]:
    """One YAML file's bytes, refused over :data:`LARGEST_FILE` before it is read."""
    try:
        size = path.stat().st_size
        if size > LARGEST_FILE:
            return None, [Problem(Location(shown), too_large(size))]
        return path.read_bytes(), []
    except OSError as exc:
        return None, [Problem(Location(shown), f"cannot read file: {exc.strerror}")]


def read_yaml_file(path: Path, shown: str, raw: bytes | None = None) -> tuple[Any, list[Problem]]:
    """One YAML file's value and problems (from ``raw``, its bytes, when they were read
    before): refused over :data:`LARGEST_FILE` before it is read, and refused if it is
    not UTF-8."""
    if raw is None:
        raw, problems = read_bytes(path, shown)
        if raw is None:
            return None, problems
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(Location(shown), f"not UTF-8 text (byte {exc.start})")]
    return read_yaml(text, shown)


def imports_of(value: Any, path: Path, problems: list[Problem]) -> list[tuple[Path, Location]]:
    """The files a YAML file's ``imports:`` names, relative to its folder, with where each is named."""
    return [(path.parent / target, where) for target, where in import_targets(value, problems)]


def import_targets(value: Any, problems: list[Problem]) -> list[tuple[str, Location]]:
    """A YAML file's ``imports:`` as written, with where each is named."""
    if not isinstance(value, MarkedMap) or "imports" not in value:
        return []
    imports = value["imports"]
    loc = value.value_locations["imports"]
    if isinstance(imports, str):
        imports = [imports]
    if not isinstance(imports, list):
        problems.append(Problem(loc, "'imports' must be a list of paths relative to this file"))
        return []
    locs = getattr(imports, "item_locations", [loc] * len(imports))
    result = []
    for target, target_loc in zip(imports, locs, strict=True):
        if not isinstance(target, str):
            problems.append(Problem(target_loc, "each import must be a path"))
            continue
        result.append((target, target_loc))
    return result


def nquads(quads: Iterable[tuple[tuple, str]]) -> bytes:
    """Converted triples, each with its graph, as N-Quads text for one bulk parse by
    Oxigraph: far cheaper than building a Python object per term. IRIs were validated
    on the way in (ids match a strict pattern; URLs are checked), literals are escaped here."""
    lines: list[str] = []
    append = lines.append
    for (s, p, o), graph in quads:
        if o[0] == "iri":
            obj = f"<{o[1]}>"
        elif o[2] == _XSD_STRING:
            obj = '"' + escape(o[1]) + '"'
        else:
            obj = '"' + escape(o[1]) + '"^^<' + o[2] + ">"
        append(f"<{s}> <{p}> {obj} <{graph}> .\n")
    return "".join(lines).encode("utf-8")


def read_file(path: Path, shown: str, made: dict[int, str | None], raw: bytes | None = None) -> tuple[Any, FileRead]:
    """Read one YAML file (from ``raw``, its bytes, when they were read before): its
    value, and what the loader needs of it to go on (its imports, the ids it declares,
    its problems). The id made for each entry is added to ``made`` (see
    :class:`~ics_graph.inputs.authoring.Registry`)."""
    value, problems = read_yaml_file(path, shown, raw)
    imports = imports_of(value, path, problems)
    recorder = _Recorder()
    declare(value, shown, recorder, problems)
    made.update(recorder.made)
    return value, (imports, recorder.declared, problems)


class _Recorder(Registry):
    """Records every declaration for the loader to register, refusing none: whether an
    id is taken depends on the files other processes read."""

    def __init__(self) -> None:
        super().__init__()
        self.declared: list[Declared] = []

    def add(self, kind: str, ident: str, location: Location, explicit: bool = True) -> Problem | None:
        self.declared.append((kind, ident, location, explicit))
        return None


class Asking(Registry):
    """A registry that notes the questions a conversion asks of it: only ``has`` (whether
    an id exists) can be answered again later; a conversion that lists ids (for a "did
    you mean", when a reference is unknown) is never kept."""

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.where, self.made = registry.where, registry.made
        self.asked: dict[tuple[str, str], bool] = {}
        self.listed = False

    def has(self, kind: str, ident: str) -> bool:
        found = super().has(kind, ident)
        self.asked[(kind, ident)] = found
        return found

    def ids(self, kind: str) -> list[str]:
        self.listed = True
        return super().ids(kind)

    def questions(self) -> list[tuple[str, str, bool]] | None:
        """What was asked, in order, or None when it cannot be asked again (ids were listed)."""
        return None if self.listed else [(kind, ident, found) for (kind, ident), found in self.asked.items()]


def convert_file(
    value: Any, shown: str, registry: Registry, problems: list[Problem], quads: list[tuple[tuple, str]]
) -> dict[str, Location]:
    """Convert one file's value, adding each triple and its file's graph to ``quads``;
    returns where each of its entities was written (the first triple about it)."""
    graph = v.file_graph(shown)
    own: dict[str, Location] = {}
    append = quads.append

    def emit(triple, location) -> None:
        append((triple, graph))
        if location is not None:
            own.setdefault(triple[0], location)

    convert(value, shown, registry, problems, emit)
    return own


# -- the reading process --------------------------------------------------------------


def serve(loader: int) -> None:
    """A reading process: answer the loader's commands until it closes its end.

    It ends with the loader however the loader ends: at Ctrl-C in a terminal, which
    reaches it too (without a traceback: the signal's default action); when the loader
    (process id ``loader``) dies, by Linux's parent-death signal; or when its commands
    end or its answers cannot be written."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _end_with(loader)
    commands, answers = sys.stdin.buffer, sys.stdout.buffer
    gc.disable()  # see ics_graph.util.collector: the values live until the process ends
    held: list[tuple[str, Any]] = []  # (shown, value) of the files read, in order
    made: dict[int, str | None] = {}
    while True:
        try:
            command, argument = pickle.load(commands)
        except (EOFError, OSError):  # the loader is done: end without freeing the values one by one
            os._exit(0)
        try:
            if command == "read":
                answer: Any = ("ok", [_read(Path(path), shown, held, made) for path, shown in argument])
            elif command == "convert":
                ids, noting = argument
                answer = ("ok", _convert_held(held, made, ids, noting))
            elif command == "values":
                answer = ("ok", [value for _shown, value in held])
            else:
                raise ValueError(f"unknown command {command!r}")
        except Exception as exc:  # the loader raises it again, as a load in one process would
            answer = ("raise", exc)
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an exception that cannot be pickled, said in words
            answer = ("raise", RuntimeError(f"a process reading YAML files failed: {answer[1]!r} ({exc})"))
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            answers.write(payload)
            answers.flush()
        except OSError:  # the loader has gone
            return
        del payload
        if answer[0] == "raise":
            return


def _end_with(loader: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    if os.getppid() != loader:  # it died before the signal was asked for
        os._exit(0)


def _read(path: Path, shown: str, held: list, made: dict) -> tuple[FileRead, str | None]:
    raw, _problems = read_bytes(path, shown)  # (said again by read_file, which reads it then)
    value, answer = read_file(path, shown, made, raw)
    held.append((shown, value))
    return answer, None if raw is None else digest_of(raw)


def _convert_held(held: list, made: dict, ids: list[tuple[str, str]], noting: bool) -> list[Converted]:
    registry = Registry()
    registry.where = dict.fromkeys(ids, Location("<declared in the loader>"))  # converting asks only which exist
    registry.made = made
    answers: list[Converted] = []
    for shown, value in held:
        quads: list = []
        problems: list[Problem] = []
        asking = Asking(registry) if noting else None
        own = convert_file(value, shown, asking or registry, problems, quads)
        questions = None if asking is None else asking.questions()
        noted = None if questions is None else (import_targets(value, []), questions)
        answers.append((nquads(quads), own, problems, noted))
    return answers


# -- the loader's side ----------------------------------------------------------------


class _Process:
    """One reading process and the files it was given, in order."""

    def __init__(self) -> None:
        root = Path(__file__).resolve().parents[2]  # the folder holding this ics_graph
        code = (
            f"import sys; sys.path[0] = {str(root)!r}; from ics_graph.inputs.readers import serve; serve({os.getpid()})"
        )
        self.popen = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
        )
        self.keys: list[Any] = []
        self.load = 0

    def send(self, command: str, argument: Any) -> None:
        self.send_pickled(pickle.dumps((command, argument), protocol=pickle.HIGHEST_PROTOCOL))

    def send_pickled(self, command: bytes) -> None:
        assert self.popen.stdin is not None
        try:
            self.popen.stdin.write(command)
            self.popen.stdin.flush()
        except OSError:  # it is gone
            raise self._ended() from None

    def answer(self) -> Any:
        assert self.popen.stdout is not None
        try:
            status, answer = pickle.load(self.popen.stdout)
        except EOFError:
            raise self._ended() from None
        if status == "raise":
            raise answer
        return answer

    def _ended(self) -> RuntimeError:
        code = self.popen.wait()
        return RuntimeError(f"a process reading YAML files ended unexpectedly (exit code {code})")

    def end(self) -> None:
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # the process is gone and its pipe broken
                    stream.close()
        if self.popen.poll() is None:  # every answer is in, or none is wanted any more
            self.popen.kill()
        self.popen.wait()


class ReadingPool:
    """Reading processes that share a load's YAML files with the loader's own process:
    each file goes to whichever has the fewest bytes so far, and stays there (with its
    value) until the load ends. Each step is started (the processes work) and then
    finished (their answers are collected), so that the loader does its own share in
    between. Use as a context manager: the processes end with it."""

    def __init__(self, count: int) -> None:
        self.processes: list[_Process] = []
        self.here = 0  # the bytes the loader's process reads itself
        try:
            for _ in range(count):
                self.processes.append(_Process())
        except BaseException:
            self.close()
            raise
        self._given: dict[_Process, list[Any]] = {}
        #: the digest of the bytes each file given to a process was read from, by key
        self.digests: dict[Any, str | None] = {}

    def __enter__(self) -> ReadingPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        for process in self.processes:
            process.end()

    def start_reading(self, files: list[tuple[Any, Path, str, int]]) -> list[Any]:
        """Start reading files ``(key, path, shown, size)``; the keys of the files the
        loader is to read itself."""
        mine: list[Any] = []
        self._given = {}
        for key, path, shown, size in files:
            process = min(self.processes, key=lambda p: p.load)
            if self.here <= process.load:
                self.here += max(size, 1)
                mine.append(key)
                continue
            process.load += max(size, 1)
            self._given.setdefault(process, []).append((key, str(path), shown))
        for process, share in self._given.items():
            process.send("read", [(path, shown) for _key, path, shown in share])
        return mine

    def finish_reading(self) -> dict[Any, FileRead]:
        """What each file started by :meth:`start_reading` and not read here says, by key."""
        answers: dict[Any, FileRead] = {}
        for process, share in self._given.items():
            keys = [key for key, _path, _shown in share]
            for key, (answer, digest) in zip(keys, process.answer(), strict=True):
                answers[key], self.digests[key] = answer, digest
            process.keys.extend(keys)
        self._given = {}
        return answers

    def start_converting(self, registry: Registry, noting: bool = False) -> None:
        """Start converting every file the processes read, with the ids of all files;
        ``noting``: noting the questions each conversion asks, for the loader to keep."""
        ids = pickle.dumps(("convert", (list(registry.where), noting)), protocol=pickle.HIGHEST_PROTOCOL)
        for process in self.processes:
            if process.keys:
                process.send_pickled(ids)

    def finish_converting(self) -> dict[Any, Converted]:
        """Each file's triples, where its entities were written, its problems and the
        questions its conversion asked (see :data:`Converted`), by key."""
        answers: dict[Any, Converted] = {}
        for process in self.processes:
            if process.keys:
                answers.update(zip(process.keys, process.answer(), strict=True))
        return answers

    def values(self) -> dict[Any, Any]:
        """The values of the files the processes read, by key, for the steps that need
        them all in the loader (a workbook's names for entities, resolved against every file)."""
        answers: dict[Any, Any] = {}
        for process in self.processes:
            if process.keys:
                process.send("values", None)
                answers.update(zip(process.keys, process.answer(), strict=True))
        return answers


def worth_splitting(sizes: list[int], workers: int) -> bool:
    """Whether files of these sizes are read faster by ``workers`` processes."""
    return workers > 1 and len(sizes) > 1 and sum(sizes) >= SPLIT_AT
