"""The child side of the start-up probe: one launch, in a fresh process.

`python -m qa_desktop.benchmark.startup_child bare` opens an empty QMainWindow;
`... startup_child app -- ARGS` runs `qa-desktop ARGS`. Before anything else, QApplication.exec
is wrapped to start a 1 ms timer in the event loop that notices the first top-level window that
is visible and exposed, and the moment the window says its model is ready (model_info). Then one
marker line is printed and the process exits at once.
"""

from __future__ import annotations

import json
import os
import sys
import time

MARKER = "QA_DESKTOP_STARTUP "


class _State:
    shown: float | None = None
    model: float | None = None


def _report(state: _State, need_model: bool, error: str | None = None) -> None:
    now = time.perf_counter()
    payload = {
        "shown_before_ms": None if state.shown is None else (now - state.shown) * 1e3,
        "model_before_ms": None if state.model is None else (now - state.model) * 1e3,
        "needed_model": need_model, "error": error,
        "platform": os.environ.get("QT_QPA_PLATFORM") or "default",
    }
    sys.stdout.write(MARKER + json.dumps(payload) + "\n")
    sys.stdout.flush()
    os._exit(0 if error is None else 3)


def _watch_window(state: _State, need_model: bool, timeout_s: float) -> None:
    from PySide6 import QtCore, QtWidgets

    original = QtWidgets.QApplication.exec
    started = time.perf_counter()

    def exec_with_watch(*args):
        app = QtWidgets.QApplication.instance()
        timer = QtCore.QTimer(app)

        def tick():
            for w in app.topLevelWidgets():
                handle = w.windowHandle()
                if state.shown is None and w.isVisible() and handle is not None and handle.isExposed():
                    state.shown = time.perf_counter()
                # The window's own public state: the model it loaded (MainWindow.model_info).
                if state.model is None and getattr(w, "model_info", None) is not None:
                    state.model = time.perf_counter()
            if state.shown is not None and (state.model is not None or not need_model):
                _report(state, need_model)
            if time.perf_counter() - started > timeout_s:
                what = "no window was shown" if state.shown is None else "the window never loaded a model"
                _report(state, need_model, f"{what} within {timeout_s:.0f} s of launch")

        timer.timeout.connect(tick)
        timer.start(1)
        return original(*args)

    QtWidgets.QApplication.exec = staticmethod(exec_with_watch)
    if hasattr(QtWidgets.QApplication, "exec_"):
        QtWidgets.QApplication.exec_ = staticmethod(exec_with_watch)


def _bare_window() -> int:
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication(sys.argv[:1])
    window = QtWidgets.QMainWindow()
    window.setWindowTitle("bare PySide6 window")
    window.resize(1000, 700)
    window.show()
    return app.exec()


def child_main(argv: list[str]) -> int:
    kind = argv[0]
    timeout_s = float(os.environ.get("QA_DESKTOP_STARTUP_TIMEOUT", "60"))
    state = _State()
    _watch_window(state, need_model=kind == "app", timeout_s=timeout_s)
    if kind == "bare":
        _bare_window()
    else:
        from qa_desktop.cli import main

        rest = argv[1:]
        if rest and rest[0] == "--":
            rest = rest[1:]
        main(rest)
    # The event loop ended without the window showing (or the CLI returned at once).
    _report(state, kind == "app", "the program ended before its window was shown")
    return 3


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
