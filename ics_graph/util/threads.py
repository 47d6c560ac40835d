"""Work on the other core while this one goes on, and never wait without limit.

Oxigraph parses and evaluates queries with the interpreter lock released, so plain
threads run them in parallel. These helpers use :mod:`threading` directly rather than
:mod:`concurrent.futures`, whose import brings in :mod:`logging`: time every
``check`` would spend on nothing it uses.

They also bound the work a command does. A query runs on a worker thread while the
main thread waits for it, so the wait can end: at the query time limit the command
sets once (:func:`set_query_timeout`, the CLI's ``--timeout``), with :class:`QueryTimeout`,
or at Ctrl-C, with :class:`KeyboardInterrupt` (Python delivers signals only to the
main thread, and only between bytecodes: a main thread inside a long Oxigraph call
would not see Ctrl-C until it returned). Oxigraph cannot cancel a running query, so
the worker is abandoned (:func:`abandoned` says so) and the process must leave with
:func:`os._exit`, which ends it. :func:`guard_interrupts` makes sure Ctrl-C ends the
process within a second even when the main thread is inside a long native call.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

from ics_graph.util.errors import QueryError

__all__ = [
    "Background",
    "Interrupted",
    "QueryTimeout",
    "abandoned",
    "bounded",
    "claim_exit",
    "cores",
    "guard_interrupts",
    "import_soon",
    "in_order",
    "interrupts_deferred",
    "interrupts_ignored_from_now",
    "noting",
    "query_timeout",
    "set_query_timeout",
]

#: How often a wait with no deadline of its own looks up (seconds).
_TICK = 0.25
#: After Ctrl-C, how long the main thread has to leave by itself before the watchdog
#: ends the process (the main thread may be inside a native call that ignores signals).
_GRACE = 0.75

_limit: list[float | None] = [None]  # the longest a query may run, in seconds (None: no limit)
_abandoned = threading.Event()  # work was left running: leave with os._exit, never wait for it
_exit_claimed = threading.Lock()  # taken by whoever reports the end of the process (main or watchdog)
_notes: list[Callable[[], str]] = []  # what to add to "interrupted", innermost last
_guarded = threading.Event()  # guard_interrupts has taken Ctrl-C over in this process


class QueryTimeout(QueryError):
    """A query ran longer than the command's limit (:func:`set_query_timeout`). ``what``
    names the query when known (a rule); ``note`` says what became of any output."""

    def __init__(self, seconds: float, what: str | None = None, note: str | None = None) -> None:
        self.seconds, self.what, self.note = seconds, what, note
        text = f"the query ran longer than {seconds:g} s" + (f" ({what})" if what else "")
        text += "; give --timeout SECONDS to allow longer"
        super().__init__(text + (f"; {note}" if note else ""))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with a ``note`` on the state the command left things in ("the store is
    as it was before this load")."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


def cores() -> int:
    """How much runs at once: rule queries on threads, YAML files read in processes. One
    per core, at most two, unless ``ICS_GRAPH_WORKERS`` says otherwise (1: one at a time).
    Two, because the machine this was measured on has two cores, and work sharing a store
    or a disk slows each other a little."""
    wanted = os.environ.get("ICS_GRAPH_WORKERS", "")
    return int(wanted) if wanted.isdigit() and int(wanted) > 0 else min(2, os.cpu_count() or 1)


def set_query_timeout(seconds: float | None) -> None:
    """The longest any one query may run from now on (None: no limit). The CLI sets it
    once per command, from ``--timeout``; it also starts the command afresh (nothing
    abandoned yet)."""
    _limit[0] = seconds
    _abandoned.clear()


def query_timeout() -> float | None:
    return _limit[0]


def abandoned() -> bool:
    """Whether work was left running (a query past its time, or Ctrl-C): the process
    must then leave with :func:`os._exit`, which ends the threads still running,
    rather than the usual way, which would wait for them or tear the interpreter down
    under them."""
    return _abandoned.is_set()


def claim_exit() -> bool:
    """True for the first caller only: whoever reports the end of the process (the
    main thread after Ctrl-C, or the watchdog of :func:`guard_interrupts`), so that it is
    reported once."""
    return _exit_claimed.acquire(blocking=False)


@contextlib.contextmanager
def noting(note: Callable[[], str]) -> Iterator[None]:
    """While inside, Ctrl-C reported by the watchdog says ``note()`` too (the state of a
    store being loaded)."""
    _notes.append(note)
    try:
        yield
    finally:
        _notes.remove(note)


class Background:
    """One call running in a thread. :meth:`result` waits for it and returns what it
    returned, or raises what it raised, in the calling thread. Waits can be
    interrupted by Ctrl-C."""

    def __init__(self, call: Callable[..., Any], *args: Any, name: str = "ics-graph", **kwargs: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None
        self._done = threading.Event()

        def run() -> None:
            try:
                self._value = call(*args, **kwargs)
            except BaseException as exc:  # handed to result(), in the caller's thread
                self._error = exc
            finally:
                self._done.set()

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def finish(self, seconds: float | None) -> bool:
        """Wait at most ``seconds`` (None: as long as it takes) for the call to end;
        whether it has."""
        end = None if seconds is None else time.monotonic() + seconds
        while True:
            left = _TICK if end is None else min(_TICK, end - time.monotonic())
            if left <= 0:
                return self._done.is_set()
            if self._done.wait(left):
                return True

    def wait(self) -> None:
        """Wait for the call to end, whatever its outcome; not when the command is being
        abandoned (after Ctrl-C), when nothing is worth waiting for."""
        while not self._done.wait(_TICK):
            if _abandoned.is_set():
                return

    def result(self) -> Any:
        self.finish(None)
        if self._error is not None:
            raise self._error
        return self._value


def bounded(call: Callable[..., Any], *args: Any, what: str | None = None, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)`` (a query), waited for at most the command's time limit
    (:func:`set_query_timeout`): past it, :class:`QueryTimeout` naming ``what``. On the main
    thread the call runs on a worker, so the wait also ends at Ctrl-C; elsewhere (a
    worker of :func:`in_order`, whose caller keeps the time) it runs right here, as
    it does when there is no limit."""
    limit = _limit[0]
    if limit is None or threading.current_thread() is not threading.main_thread():
        return call(*args, **kwargs)
    task = Background(call, *args, name="ics-graph-query", **kwargs)
    try:
        finished = task.finish(limit)
    except BaseException:  # Ctrl-C while waiting: the query is left running
        _abandoned.set()
        raise
    if not finished:
        _abandoned.set()
        raise QueryTimeout(limit, what)
    return task.result()


def in_order(
    call: Callable[[Any], Any],
    items: Iterable[Any],
    workers: int,
    *,
    name: str = "ics-graph",
    what: Callable[[Any], str] | None = None,
) -> Generator[Any, None, None]:
    """``call(item)`` for every item, on ``workers`` threads that each take the next item
    not yet started; the results are yielded in the items' order, each as soon as it and
    those before it are ready, so the caller works on the first while the rest run.

    A call that raises stops the threads from starting more, and its exception is raised
    here when its turn comes. If the caller stops early (an exception of its own, or it
    closes the generator), no more calls start, and this waits for the running ones to
    end before returning, so none is left behind, unless the command is being
    abandoned. A call still running past the time limit (:func:`set_query_timeout`) when its
    turn comes raises :class:`QueryTimeout`, naming it with ``what(item)``."""
    items = list(items)
    done = [threading.Event() for _ in items]
    started: list[float | None] = [None] * len(items)
    results: list[Any] = [None] * len(items)
    errors: list[BaseException | None] = [None] * len(items)
    lock = threading.Lock()
    state = {"next": 0, "stop": False}

    def work() -> None:
        while True:
            with lock:
                if state["stop"] or state["next"] >= len(items):
                    return
                index = state["next"]
                state["next"] += 1
                started[index] = time.monotonic()
            try:
                results[index] = call(items[index])
            except BaseException as exc:
                errors[index] = exc
                state["stop"] = True
            finally:
                done[index].set()

    threads = [threading.Thread(target=work, name=f"{name}-{n}", daemon=True) for n in range(max(1, workers))]
    for thread in threads:
        thread.start()
    try:
        for index in range(len(items)):
            _wait_turn(done[index], started, index, what(items[index]) if what else None)
            error = errors[index]
            if error is not None:
                raise error
            yield results[index]
            results[index] = None  # the caller has it: do not keep every result alive
    except (KeyboardInterrupt, QueryTimeout):
        _abandoned.set()
        raise
    finally:
        state["stop"] = True
        if not _abandoned.is_set():
            for thread in threads:
                thread.join()


def _wait_turn(done: threading.Event, started: list[float | None], index: int, what: str | None) -> None:
    """Wait for item ``index`` of :func:`in_order`: until it is done, or until it has
    run longer than the time limit."""
    while True:
        limit, began = _limit[0], started[index]
        left = _TICK if limit is None or began is None else min(_TICK, began + limit - time.monotonic())
        if left <= 0:
            if done.is_set():
                return
            raise QueryTimeout(limit or 0, what)
        if done.wait(left):
            return


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C back while inside (a few steps that must happen together, such as
    moving a new store into place and noting that it was), then deliver it. Only the
    main thread receives signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    import signal

    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            _abandoned.set()
            if callable(previous):
                previous(signal.SIGINT, None)  # raises KeyboardInterrupt, as it would have
            else:
                raise KeyboardInterrupt


def guard_interrupts(exit_code: int = 130) -> None:
    """Make Ctrl-C end this process within a second whatever the main thread is doing
    (the ``ics-graph`` command calls this once, before the command runs).

    Python runs its Ctrl-C handler on the main thread between bytecodes, so a main
    thread inside a long native call (Oxigraph loading a graph) would not stop until the
    call returned. Here the handler marks the command as abandoned and raises
    :class:`KeyboardInterrupt` as usual, and a watchdog thread, woken by the signal
    itself (:func:`signal.set_wakeup_fd`), gives the main thread a moment to leave by
    itself, then reports "interrupted" (with the current :func:`noting` note) and ends
    the process with ``exit_code``. Does nothing where it cannot (not the main thread,
    no pipes)."""
    if threading.current_thread() is not threading.main_thread():
        return
    import signal

    def on_interrupt(_signum: int, _frame: Any) -> None:
        _abandoned.set()
        raise KeyboardInterrupt

    try:
        read, write = os.pipe()
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except (OSError, ValueError, AttributeError):
        return
    signal.signal(signal.SIGINT, on_interrupt)
    _guarded.set()
    threading.Thread(
        target=_watch, args=(read, int(signal.SIGINT), exit_code), name="ics-graph-watch", daemon=True
    ).start()


def interrupts_ignored_from_now() -> None:
    """The command has done its work and said so (a store swapped in and reported): a
    Ctrl-C from here would only interrupt leaving, and its one line could no longer say
    what the store holds, so it is ignored. Only in a process :func:`guard_interrupts`
    set up (the installed command), never in a program that calls the library."""
    if _guarded.is_set() and threading.current_thread() is threading.main_thread():
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _watch(read: int, signum: int, exit_code: int) -> None:
    while True:
        try:
            woken = os.read(read, 64)
        except OSError:
            return
        if not woken:
            return
        if signum not in woken:
            continue
        time.sleep(_GRACE)  # the main thread normally reports and leaves in this time
        if claim_exit():
            note = ""
            with contextlib.suppress(Exception):  # a note that fails is left out, never a reason to stay
                note = f": {_notes[-1]()}" if _notes else ""
            with contextlib.suppress(OSError):
                os.write(2, f"interrupted{note}\n".encode(errors="replace"))
            os._exit(exit_code)
        time.sleep(2)  # the main thread claimed it and is leaving; if it is stuck, end it anyway
        os._exit(exit_code)


def import_soon(*names: str) -> threading.Thread | None:
    """Import the modules ``names`` on another thread, for a later step, while this one
    waits on work that releases the interpreter lock (Oxigraph parsing a file).

    Importing is Python work, so it gains only while the lock is free: a parse leaves it
    free for much of its time, even at one system enough to import the YAML parser.
    Nothing is lost if it has not finished: a later ``import`` of the same module waits
    for this one (the import lock) and never imports it twice. A module that fails to
    import here is left alone, so that the later ``import`` raises where it is handled.
    Returns the thread (None when every module is imported already)."""
    import importlib

    missing = [name for name in names if name not in sys.modules]
    if not missing:
        return None

    def run() -> None:
        for name in missing:
            with contextlib.suppress(Exception):  # raised again, and reported, by the import that needs it
                importlib.import_module(name)

    thread = threading.Thread(target=run, name="ics-graph-import", daemon=True)
    thread.start()
    return thread
