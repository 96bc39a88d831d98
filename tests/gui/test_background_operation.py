"""BackgroundOperation: work off the GUI thread, callbacks on it, progress, cancel."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QWidget

from qa_desktop.engine.errors import Cancelled, InputError
from qa_desktop.gui.background_operation import BackgroundOperation, ProgressUpdate, wait_for_all


@pytest.fixture
def parent(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    yield widget
    wait_for_all(10_000)


def test_work_runs_off_the_gui_thread_and_success_comes_back_on_it(qtbot, parent):
    seen = {}

    def work(ctx):
        seen["worker"] = threading.current_thread() is threading.main_thread()
        return 41 + 1

    def success(value):
        seen["value"] = value
        seen["gui"] = QThread.currentThread() is parent.thread()

    finished = []
    BackgroundOperation(parent, work, success=success).finished(lambda: finished.append(True)).run_in_background()
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    assert seen == {"worker": False, "value": 42, "gui": True}


def test_failure_gets_the_exception_on_the_gui_thread_then_finished(qtbot, parent):
    events = []

    def work(ctx):
        raise InputError("The passage is empty.")

    op = (BackgroundOperation(parent, work, success=lambda v: events.append(("success", v)))
          .failure(lambda exc: events.append(("failure", type(exc).__name__, str(exc),
                                              QThread.currentThread() is parent.thread())))
          .finished(lambda: events.append(("finished",))))
    op.run_in_background()
    qtbot.waitUntil(lambda: ("finished",) in events, timeout=5000)
    assert events == [("failure", "InputError", "The passage is empty.", True), ("finished",)]
    assert not op.is_running


def test_progress_is_coalesced_but_the_last_update_and_every_step_text_arrive(qtbot, parent):
    updates: list[ProgressUpdate] = []

    def work(ctx):
        for i in range(1, 2001):
            ctx.report(i, 2000, "step A" if i < 1000 else "step B")
        ctx.say("finishing")
        time.sleep(0.05)
        return "done"

    done = []
    (BackgroundOperation(parent, work, success=done.append).progress(updates.append)
     .run_in_background())
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    assert updates, "no progress reached the GUI thread"
    assert len(updates) < 2000  # coalesced: a flood of signals would stall the event loop
    texts = [line for u in updates for line in u.lines]
    assert texts == ["step A", "step B", "finishing"]
    assert updates[-1].text == "finishing"
    counted = [u for u in updates if u.total]
    assert all(0 <= u.done <= u.total == 2000 for u in counted)


def test_cancel_sets_the_flag_the_work_polls_and_failure_gets_cancelled(qtbot, parent):
    started = threading.Event()
    failures = []

    def work(ctx):
        started.set()
        while not ctx.cancelled():
            time.sleep(0.005)
        ctx.raise_if_cancelled()
        return "not reached"

    op = BackgroundOperation(parent, work, success=lambda v: failures.append(("success", v)))
    op.failure(failures.append).run_in_background()
    assert started.wait(5)
    assert op.is_running and not op.cancel_requested
    op.cancel()
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert isinstance(failures[0], Cancelled)
    assert str(failures[0]) == "Cancelled."


def test_no_callback_runs_once_the_parent_is_gone(qtbot):
    parent = QWidget()
    release = threading.Event()
    calls = []

    op = BackgroundOperation(parent, lambda ctx: release.wait(5), success=calls.append)
    op.finished(lambda: calls.append("finished")).run_in_background()
    parent.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(parent), timeout=5000)
    release.set()
    wait_for_all(5000)
    qtbot.wait(50)
    assert calls == []


def test_an_operation_runs_once(qtbot, parent):
    op = BackgroundOperation(parent, lambda ctx: 1).run_in_background()
    with pytest.raises(RuntimeError):
        op.run_in_background()
    wait_for_all(5000)
