"""Long work off the GUI thread, modelled on Anki's aqt.operations.QueryOp.

    BackgroundOperation(parent=window, op=read_file).success(show).failure(report).run_in_background()

`op(context)` runs on a worker thread of a private QThreadPool. `success(result)`,
`failure(exception)`, `progress(ProgressUpdate)` and `finished()` are always called on the GUI
thread (queued signals), and not at all once `parent` has been deleted. Cancelling only sets a
flag: the operation polls `context.cancelled()` (the engine takes it as its `cancelled=` hook)
and stops by raising engine.errors.Cancelled, which reaches `failure` like any other error.
"""

from __future__ import annotations

import sys
import threading
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Qt, Signal
from PySide6.QtWidgets import QWidget

from qa_desktop.engine.errors import Cancelled

T = TypeVar("T")


@dataclass(frozen=True)
class ProgressUpdate:
    """How far an operation is. total == 0 means "busy, amount unknown"."""

    done: int = 0
    total: int = 0
    text: str = ""
    # Every distinct text reported since the previous delivery, oldest first: updates are
    # coalesced, but a log of steps should still show each step.
    lines: tuple[str, ...] = ()

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total > 0 else None


class OperationContext:
    """What the operation callable receives: a cancel flag to poll and a progress reporter.

    Both are safe to call from the worker thread, as often as the work likes: reports are
    coalesced so only the latest reaches the GUI thread (a flood of queued signals would itself
    stall the event loop)."""

    def __init__(self, deliver: Callable[[], None]):
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._latest: ProgressUpdate | None = None
        self._lines: list[str] = []
        self._last_text = ""
        self._pending = False
        self._deliver = deliver

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, done: int = 0, total: int = 0, text: str = "") -> None:
        with self._lock:
            if not text:
                text = self._last_text  # numbers without words keep the last words
            elif text != self._last_text:
                self._lines.append(text)
                self._last_text = text
            self._latest = ProgressUpdate(int(done), int(total), text)
            if self._pending:
                return
            self._pending = True
        self._deliver()

    def say(self, text: str) -> None:
        """A step without numbers ("Loading the model…")."""
        self.report(0, 0, text)

    def _take_progress(self) -> ProgressUpdate | None:
        with self._lock:
            self._pending = False
            if self._latest is None:
                return None
            update = ProgressUpdate(self._latest.done, self._latest.total, self._latest.text,
                                    tuple(self._lines))
            self._lines = []
            return update

    def _request_cancel(self) -> None:
        self._cancel.set()


class _Signals(QObject):
    """Lives on the GUI thread; the worker emits, Qt queues, the GUI thread receives."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal()


# Operations in flight are kept alive here: the caller usually drops its reference at once.
_RUNNING: set["BackgroundOperation"] = set()
_POOL: QThreadPool | None = None


def _pool() -> QThreadPool:
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        # Answering, loading and exporting may overlap briefly (a load while an answer is being
        # cancelled); more threads than that would only fight over the two CPU cores.
        _POOL.setMaxThreadCount(3)
    return _POOL


def wait_for_all(timeout_ms: int = 30_000) -> bool:
    """Block until every worker has returned (used at exit and in tests)."""
    return _POOL.waitForDone(timeout_ms) if _POOL is not None else True


class BackgroundOperation(Generic[T]):
    def __init__(self, parent: QWidget | None, op: Callable[[OperationContext], T],
                 success: Callable[[T], Any] | None = None):
        self._parent = parent
        self._op = op
        self._success = success
        self._failure: Callable[[BaseException], Any] | None = None
        self._progress: Callable[[ProgressUpdate], Any] | None = None
        self._finished: Callable[[], Any] | None = None
        self._signals = _Signals()
        self._context = OperationContext(self._signals.progressed.emit)
        self._running = False
        self._done = False
        queued = Qt.ConnectionType.QueuedConnection
        self._signals.succeeded.connect(self._on_succeeded, queued)
        self._signals.failed.connect(self._on_failed, queued)
        self._signals.progressed.connect(self._on_progressed, queued)

    # -- building ----------------------------------------------------------------------------
    def success(self, callback: Callable[[T], Any]) -> "BackgroundOperation[T]":
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], Any]) -> "BackgroundOperation[T]":
        self._failure = callback
        return self

    def progress(self, callback: Callable[[ProgressUpdate], Any]) -> "BackgroundOperation[T]":
        self._progress = callback
        return self

    def finished(self, callback: Callable[[], Any]) -> "BackgroundOperation[T]":
        """Called after success or failure (to reset buttons, hide progress bars)."""
        self._finished = callback
        return self

    # -- running -----------------------------------------------------------------------------
    def run_in_background(self) -> "BackgroundOperation[T]":
        if self._running or self._done:
            raise RuntimeError("a BackgroundOperation runs once")
        self._running = True
        _RUNNING.add(self)
        _pool().start(self._work)
        return self

    def cancel(self) -> None:
        self._context._request_cancel()

    @property
    def is_running(self) -> bool:
        return self._running

    @property
    def cancel_requested(self) -> bool:
        return self._context.cancelled()

    def _work(self) -> None:  # worker thread
        try:
            result = self._op(self._context)
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the GUI thread
            self._signals.failed.emit(exc)
        else:
            self._signals.succeeded.emit(result)

    # -- back on the GUI thread ---------------------------------------------------------------
    def _parent_alive(self) -> bool:
        return self._parent is None or shiboken6.isValid(self._parent)

    def _on_progressed(self) -> None:
        update = self._context._take_progress()
        if update is not None and self._progress is not None and self._running and self._parent_alive():
            self._progress(update)

    def _on_succeeded(self, result) -> None:
        self._complete(lambda: self._success(result) if self._success is not None else None)

    def _on_failed(self, exc: BaseException) -> None:
        def deliver():
            if self._failure is not None:
                self._failure(exc)
            elif not isinstance(exc, Cancelled):
                report_unexpected(exc)

        self._complete(deliver)

    def _complete(self, deliver: Callable[[], Any]) -> None:
        self._running = False
        self._done = True
        _RUNNING.discard(self)
        if not self._parent_alive():
            return
        # A bug in a callback propagates to Qt's slot machinery, where sys.excepthook (installed
        # by app.run_gui) logs it and keeps the window alive; `finished` still runs.
        try:
            deliver()
        finally:
            if self._finished is not None:
                self._finished()


def report_unexpected(exc: BaseException) -> None:
    """The traceback of something that is not the user's doing goes to stderr."""
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
