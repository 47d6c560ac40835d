"""The thread helpers that let Oxigraph parse and query on the other core."""

import sys
import threading
import time

import pytest

from ics_graph.util.threads import Background, import_soon, in_order


def test_background_returns_the_result_or_raises_the_error_in_the_caller():
    assert Background(lambda a, b=0: a + b, 2, b=3).result() == 5
    with pytest.raises(KeyError, match="missing"):
        Background(lambda: {}["missing"]).result()
    names = []
    Background(lambda: names.append(threading.current_thread().name), name="ics-graph-parse").result()
    assert names == ["ics-graph-parse"]


def test_in_order_gives_results_in_the_items_order_however_the_calls_finish():
    def slow_first(n):
        time.sleep(0.05 if n == 0 else 0)
        return n * 10

    assert list(in_order(slow_first, range(6), 2)) == [0, 10, 20, 30, 40, 50]
    assert list(in_order(slow_first, [], 2)) == []
    assert list(in_order(slow_first, range(3), 1)) == [0, 10, 20]


def test_in_order_runs_calls_at_once_on_named_threads():
    both_running = threading.Barrier(2, timeout=5)  # times out (BrokenBarrierError) if only one runs at a time
    names = set()

    def meet(n):
        names.add(threading.current_thread().name)
        both_running.wait()
        return n

    assert list(in_order(meet, [1, 2], 2, name="ics-graph-rule")) == [1, 2]
    assert names == {"ics-graph-rule-0", "ics-graph-rule-1"}


def test_a_failing_call_raises_at_its_turn_and_no_later_call_starts():
    started = []

    def call(n):
        started.append(n)
        if n == 1:
            raise ValueError("rule 1 is broken")
        return n

    results = in_order(call, range(50), 1)
    assert next(results) == 0
    with pytest.raises(ValueError, match="rule 1 is broken"):
        next(results)
    assert started == [0, 1]


def test_a_caller_that_stops_early_starts_no_more_calls_and_leaves_none_running():
    started, finished = [], []

    def call(n):
        started.append(n)
        time.sleep(0.02)
        finished.append(n)
        return n

    results = in_order(call, range(100), 2)
    assert next(results) == 0
    results.close()
    assert sorted(started) == sorted(finished)  # every call that started has ended
    assert len(started) < 10
    assert not [t for t in threading.enumerate() if t.name.startswith("ics-graph-") and t.is_alive()]


def test_import_soon_imports_on_its_own_thread_and_leaves_failures_to_the_real_import(tmp_path, monkeypatch):
    (tmp_path / "ics_soon_probe.py").write_text("import threading\nTHREAD = threading.current_thread().name\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "ics_soon_probe", raising=False)
    thread = import_soon("ics_soon_probe", "ics_soon_no_such_module")
    thread.join(timeout=10)
    assert sys.modules["ics_soon_probe"].THREAD == "ics-graph-import"
    assert "ics_soon_no_such_module" not in sys.modules  # no error here; the import that needs it raises
    with pytest.raises(ModuleNotFoundError):
        __import__("ics_soon_no_such_module")
    assert import_soon("ics_soon_probe", "sys") is None  # nothing left to import: no thread
    del sys.modules["ics_soon_probe"]
