"""Work on the other core while this one goes on.

Oxigraph parses and evaluates queries with the interpreter lock released, so plain
threads run them in parallel. These helpers use :mod:`threading` directly rather than
:mod:`concurrent.futures`, whose import brings in :mod:`logging`: time every
``check`` would spend on nothing it uses.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Generator, Iterable
from typing import Any

__all__ = ["Background", "import_soon", "in_order"]


class Background:
    """One call running in a thread. :meth:`result` waits for it and returns what it
    returned, or raises what it raised, in the calling thread."""

    def __init__(self, call: Callable[..., Any], *args: Any, name: str = "ics-graph", **kwargs: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = call(*args, **kwargs)
            except BaseException as exc:  # handed to result(), in the caller's thread
                self._error = exc

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Wait for the call to end, whatever its outcome."""
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def in_order(
    call: Callable[[Any], Any], items: Iterable[Any], workers: int, *, name: str = "ics-graph"
) -> Generator[Any, None, None]:
    """``call(item)`` for every item, on ``workers`` threads that each take the next item
    not yet started; the results are yielded in the items' order, each as soon as it and
    those before it are ready, so the caller works on the first while the rest run.

    A call that raises stops the threads from starting more, and its exception is raised
    here when its turn comes. If the caller stops early (an exception of its own, or it
    closes the generator), no more calls start, and this waits for the running ones to
    end before returning, so none is left behind."""
    items = list(items)
    done = [threading.Event() for _ in items]
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
            done[index].wait()
            error = errors[index]
            if error is not None:
                raise error
            yield results[index]
            results[index] = None  # the caller has it: do not keep every result alive
    finally:
        state["stop"] = True
        for thread in threads:
            thread.join()


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
    import sys

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
