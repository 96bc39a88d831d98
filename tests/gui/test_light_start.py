"""Start-up shows a light window first (issue 11, point 11): the window paints before pyqtgraph,
ONNX Runtime and numpy are imported; the model loads next (the engine imported on the load's
worker, never on the GUI thread), then the plot, heatmap and inspector; a question asked before
they are ready is answered once the model has loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PySide6.QtWidgets import QLabel

from qa_desktop.gui.main_window import MainWindow
from qa_desktop.gui.window_layout import LOADING_TEXT, TAB_TITLES
from qa_desktop.gui.window_startup import VIEWS_AFTER_MS

from gui.window_driver import ANSWER_TIMEOUT_MS, ask

HEAVY = ("pyqtgraph", "onnxruntime", "numpy")
# Needed only when their operation runs: each module imported before the first paint costs
# start-up time (the window must paint within 2x of a bare PySide6 window).
LATER = ("qa_desktop.gui.window_operations", "qa_desktop.gui.model_import", "qa_desktop.gui.coverage_offer",
         "qa_desktop.gui.prepared_answer", "qa_desktop.gui.tab_guide", "html")

# Runs `qa-desktop --model M` (run_gui) in a fresh interpreter and notes which heavy modules are
# loaded at the first paint of any part of the main window, then again once the window has its
# model and its plot, heatmap and inspector tabs.
LAUNCH = r"""
import json, sys, threading, time
from PySide6.QtCore import QEvent, QObject, QTimer
from qa_desktop.gui import app as gui_app

HEAVY = %(heavy)r
LATER = %(later)r
seen = {"import_threads": {}}

def note_import(event, args):
    if event == "import" and args[0] in HEAVY and args[0] not in seen["import_threads"]:
        seen["import_threads"][args[0]] = threading.current_thread() is threading.main_thread()

sys.addaudithook(note_import)

def heavy_loaded():
    return [name for name in HEAVY if name in sys.modules]

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if (event.type() == QEvent.Type.Paint and "first_paint" not in seen and obj.isWidgetType()
                and obj.window().objectName() == "MainWindow"):
            seen["first_paint"] = heavy_loaded()
            seen["later_at_first_paint"] = [name for name in LATER if name in sys.modules]
            # The first style sheet sets up Qt's style-sheet style (start-up time): colours are
            # palettes until then (color_theme.tint).
            seen["styled_at_first_paint"] = [w.objectName() or type(w).__name__
                                             for w in qapp.allWidgets() if w.styleSheet()]
            seen["painted_at"] = time.perf_counter()
            seen["tabs_at_first_paint"] = [type(obj.window().tabs.widget(i)).__name__ for i in range(3)]
            obj.window().modelLoaded.connect(model_loaded)
        return False

def model_loaded(_info):
    if "at_model" not in seen:
        seen["at_model"] = heavy_loaded()
        seen["model_after_paint_s"] = time.perf_counter() - seen["painted_at"]

qapp = gui_app.application()
watch = FirstPaint()
qapp.installEventFilter(watch)

def poll():
    for window in qapp.topLevelWidgets():
        tabs = getattr(window, "tabs", None)
        if window.objectName() == "MainWindow" and window.model_info is not None and tabs is not None:
            names = [type(tabs.widget(i)).__name__ for i in range(tabs.count())]
            if "QLabel" not in names:
                seen["ready"] = heavy_loaded()
                seen["tabs_when_ready"] = names
                window.close()
                return
    QTimer.singleShot(20, poll)

QTimer.singleShot(0, poll)
QTimer.singleShot(%(timeout_ms)d, qapp.quit)
seen["exit_code"] = gui_app.run_gui(model=sys.argv[1])
print("LIGHT_START " + json.dumps(seen))
"""


def test_the_window_paints_before_pyqtgraph_onnxruntime_numpy_and_the_operations_are_imported(tiny_bert_model, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QA_DESKTOP_DATA_DIR=str(tmp_path / "data"))
    script = LAUNCH % {"heavy": HEAVY, "later": LATER, "timeout_ms": ANSWER_TIMEOUT_MS}
    done = subprocess.run([sys.executable, "-c", script, str(tiny_bert_model)], env=env, capture_output=True,
                          text=True, timeout=ANSWER_TIMEOUT_MS / 1000 + 60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("LIGHT_START ")]
    assert lines, f"no report (exit code {done.returncode}): {done.stderr[-2000:]}"
    seen = json.loads(lines[-1][len("LIGHT_START "):])
    assert seen["first_paint"] == [], seen
    assert seen["later_at_first_paint"] == [], seen
    assert seen["styled_at_first_paint"] == [], seen
    assert seen["tabs_at_first_paint"] == ["QLabel"] * 3, seen  # the "Loading…" pages
    assert seen.get("ready") is not None, f"the window never got its model and views: {seen} {done.stderr[-2000:]}"
    assert set(seen["ready"]) == set(HEAVY), seen
    assert seen["tabs_when_ready"] == ["ProbabilityPlot", "SpanHeatmap", "InspectorPanel"], seen
    assert seen["exit_code"] == 0
    # numpy and ONNX Runtime come in on the load's worker; pyqtgraph on the GUI thread, after it.
    assert seen["import_threads"] == {"numpy": False, "onnxruntime": False, "pyqtgraph": True}, seen
    if seen["model_after_paint_s"] < VIEWS_AFTER_MS / 1000:  # a slower load lets the views come first
        assert "pyqtgraph" not in seen["at_model"], seen


def test_the_lower_tabs_say_loading_until_the_first_paint_then_hold_the_views(qtbot, tiny_bert_model):
    window = MainWindow(model=str(tiny_bert_model))
    qtbot.addWidget(window)
    pages = [window.tabs.widget(i) for i in range(window.tabs.count())]
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == list(TAB_TITLES)
    assert all(isinstance(page, QLabel) and page.text() == LOADING_TEXT for page in pages)
    with qtbot.waitSignal(window.modelLoaded, timeout=ANSWER_TIMEOUT_MS):
        window.show()
    # The views follow the model's load, a turn later (reading window.plot would make them now).
    qtbot.waitUntil(lambda: window.views_ready, timeout=ANSWER_TIMEOUT_MS)
    assert [window.tabs.widget(i) for i in range(3)] == [window.plot, window.heatmap, window.inspector]
    assert window.tabs.count() == 3


def test_a_question_asked_before_the_model_and_views_are_ready_is_answered(qtbot, tiny_bert_model):
    window = MainWindow(model=str(tiny_bert_model))
    qtbot.addWidget(window)
    window.show()
    # Straight after show, before the event loop has painted or loaded anything.
    answer = ask(qtbot, window, "Who wrote the first program?",
                 "Ada Lovelace wrote the first program for the analytical engine.")
    assert answer.prediction.question == "Who wrote the first program?"
    assert window.model_info is not None
    assert window.tabs.widget(0) is window.plot and window.plot.isEnabled()
    assert not window.busy
