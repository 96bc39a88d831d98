"""Start-up: launch → window shown with the model ready, against a bare PySide6 window.

Each launch is a fresh process: `python -m qa_desktop.benchmark.startup_probe bare` opens an
empty QMainWindow; `... startup_probe app -- ARGS` runs `qa-desktop ARGS` (the CLI, so the
path a user's launch takes) with two watchers added before anything else is imported:

- QuestionAnswerer.__init__ is wrapped, so the moment a model has finished loading is known
  whatever thread the window loads it in;
- QApplication.exec is wrapped to start a 1 ms timer in the event loop that notices the first
  top-level window that is visible and exposed.

When the window is shown (and, for the app, a model is loaded) the probe prints one marker line
and exits at once. The parent times launch → marker line with its own clock; the child reports
how long before that the window appeared and the model finished, on the child's clock, so no
clocks are compared across processes.
"""

from __future__ import annotations

import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time

MARKER = "QA_DESKTOP_STARTUP "


# -- the child ----------------------------------------------------------------------------
class _State:
    shown: float | None = None
    model: float | None = None


def _watch_model_loads(state: _State) -> None:
    from qa_desktop.engine.question_answerer import QuestionAnswerer

    original = QuestionAnswerer.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if state.model is None:
            state.model = time.perf_counter()

    QuestionAnswerer.__init__ = init


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
            if state.shown is None:
                for w in app.topLevelWidgets():
                    handle = w.windowHandle()
                    if w.isVisible() and handle is not None and handle.isExposed():
                        state.shown = time.perf_counter()
                        break
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
    if kind == "app":
        _watch_model_loads(state)
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


# -- the parent ---------------------------------------------------------------------------
def gui_available() -> str | None:
    """None when the window can be launched; otherwise why not."""
    import importlib.util

    try:
        if importlib.util.find_spec("PySide6") is None:
            return "PySide6 is not installed"
        if importlib.util.find_spec("qa_desktop.gui.app") is None:
            return "qa_desktop.gui.app does not exist yet (no window to launch)"
    except (ImportError, ValueError) as exc:
        return f"the GUI cannot be found ({exc})"
    return None


def probe_env(base: dict | None = None, timeout_s: float = 60.0) -> dict:
    env = dict(os.environ if base is None else base)
    headless = sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    if headless and not env.get("QT_QPA_PLATFORM"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env["QA_DESKTOP_STARTUP_TIMEOUT"] = str(timeout_s)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def launch_once(kind: str, app_args: list[str], env: dict, timeout_s: float) -> dict:
    """One launch. {"seconds", "window_s", "model_s"} or {"error"}."""
    cmd = [sys.executable, "-m", "qa_desktop.benchmark.startup_probe", kind]
    if kind == "app":
        cmd += ["--", *app_args]
    lines: queue.Queue = queue.Queue()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                            encoding="utf-8", errors="replace")

    def pump():
        for line in proc.stdout:
            if line.startswith(MARKER):
                lines.put((time.perf_counter(), line))
        lines.put((time.perf_counter(), None))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    stderr_tail: list[str] = []
    err_reader = threading.Thread(target=lambda: stderr_tail.extend(proc.stderr.readlines()), daemon=True)
    err_reader.start()
    try:
        received, line = lines.get(timeout=timeout_s + 15)
    except queue.Empty:
        proc.kill()
        return {"error": f"no report within {timeout_s + 15:.0f} s"}
    finally:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        err_reader.join(timeout=5)
    if line is None:
        tail = " ".join("".join(stderr_tail[-5:]).split())[-400:]
        return {"error": f"exited with code {proc.returncode} before its window was shown: {tail}"}
    report = json.loads(line[len(MARKER):])
    if report.get("error"):
        tail = " ".join("".join(stderr_tail[-3:]).split())[-300:]
        return {"error": report["error"] + (f" ({tail})" if tail else "")}
    total = received - t0
    out = {"seconds": total, "platform": report["platform"]}
    if report["shown_before_ms"] is not None:
        out["window_s"] = total - report["shown_before_ms"] / 1e3
    if report["model_before_ms"] is not None:
        out["model_s"] = total - report["model_before_ms"] / 1e3
    return out


def measure(app_args: list[str], launches: int, warmup: bool, timeout_s: float,
            progress=None) -> dict:
    """Median start-up of the bare window and of qa-desktop, launched alternately."""
    env = probe_env(timeout_s=timeout_s)
    result: dict = {"platform": env.get("QT_QPA_PLATFORM") or "default", "launches": launches,
                    "bare": {"runs": []}, "app": {"runs": []}}
    unavailable = gui_available()
    if unavailable:
        result["app"]["unavailable"] = unavailable
    kinds = ["bare"] + ([] if unavailable else ["app"])
    if warmup:  # the first launch pays for a cold disk cache; not counted
        for kind in kinds:
            launch_once(kind, app_args, env, timeout_s)
    for i in range(launches):
        for kind in kinds:
            if progress:
                progress(f"start-up: {kind} launch {i + 1}/{launches}")
            run = launch_once(kind, app_args, env, timeout_s)
            result[kind]["runs"].append(run)
            if "error" in run:
                result[kind]["error"] = run["error"]
    for kind in kinds:
        ok = [r for r in result[kind]["runs"] if "seconds" in r]
        if ok:
            result[kind]["median_s"] = statistics.median(r["seconds"] for r in ok)
            for key in ("window_s", "model_s"):
                values = [r[key] for r in ok if key in r]
                if values:
                    result[kind][f"median_{key}"] = statistics.median(values)
    return result


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
