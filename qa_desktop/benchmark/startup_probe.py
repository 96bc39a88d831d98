"""Start-up: launch → window shown with the model ready, against a bare PySide6 window.

The parent side: each launch is a fresh process running startup_child (`bare` opens an empty
QMainWindow; `app -- ARGS` runs `qa-desktop ARGS`, the path a user's launch takes). The child
prints one marker line when its window is shown (and, for the app, its model is loaded) and
exits; the parent times launch → marker line with its own clock, and the child reports how
long before that the window appeared and the model was ready, on the child's clock, so no
clocks are compared across processes.

Both launches run with compiled bytecode, as an installed copy does (pip compiles a wheel's
modules when it installs them; the packaged app carries them compiled). A source checkout run
with PYTHONDONTWRITEBYTECODE (as in CI) never writes them, and would recompile every module of
qa_desktop at every launch: `prepare_bytecode` compiles what is missing or stale first.
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
from pathlib import Path

from qa_desktop.benchmark.startup_child import MARKER


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


def prepare_bytecode(root: Path | None = None) -> dict:
    """Compile the modules under `root` (qa_desktop's package directory) whose bytecode is
    missing or stale; what was found and done."""
    import compileall
    import importlib.util

    if root is None:
        spec = importlib.util.find_spec("qa_desktop")
        if spec is None or not spec.submodule_search_locations:
            return {"bytecode": "not found"}
        root = Path(next(iter(spec.submodule_search_locations)))
    sources = [p for p in root.rglob("*.py") if "__pycache__" not in p.parts]
    stale = [p for p in sources if not _bytecode_current(p)]
    if not stale:
        return {"bytecode": "present", "modules": len(sources)}
    ok = all(compileall.compile_file(str(p), quiet=2) for p in stale)
    return {"bytecode": "compiled" if ok else "could not be written", "modules": len(sources),
            "compiled": len(stale)}


def _bytecode_current(source: Path) -> bool:
    """The check compileall and the import system make: the .pyc's header names this source's mtime."""
    import importlib.util
    import struct

    try:
        expect = struct.pack("<4sLL", importlib.util.MAGIC_NUMBER, 0, int(source.stat().st_mtime) & 0xFFFF_FFFF)
        with open(importlib.util.cache_from_source(str(source)), "rb") as cached:
            return cached.read(12) == expect
    except OSError:
        return False


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
    cmd = [sys.executable, "-m", "qa_desktop.benchmark.startup_child", kind]
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
                    "bare": {"runs": []}, "app": {"runs": []}, **prepare_bytecode()}
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

