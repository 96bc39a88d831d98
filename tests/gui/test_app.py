"""run_gui (what `qa-desktop` calls) and the light/dark theme."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from qa_desktop.gui.app import application_icon, run_gui
from qa_desktop.gui.main_window import MainWindow


def test_run_gui_opens_the_file_asks_the_question_and_returns_the_exit_code(qtbot, tiny_bert_model,
                                                                            tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    passage = tmp_path / "passage.md"
    passage.write_text("Ada Lovelace wrote the first program for the analytical engine.", encoding="utf-8")
    seen, stopped = {}, []

    def watch():
        if stopped:
            return
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and windows[-1].answer is not None:
            window = windows[-1]
            seen["question"] = window.answer.prediction.question
            seen["passage"] = window.passage.toPlainText()
            seen["title"] = window.windowTitle()
            window.close()
            return
        QTimer.singleShot(50, watch)

    QTimer.singleShot(50, watch)
    guard = QTimer()  # a hung window fails the test instead of hanging the run
    guard.setSingleShot(True)
    guard.timeout.connect(QApplication.quit)
    guard.start(60_000)
    try:
        code = run_gui(model=str(tiny_bert_model), file=str(passage), question="Who wrote the first program?")
    finally:
        guard.stop()
        stopped.append(True)
    assert code == 0
    assert seen == {"question": "Who wrote the first program?",
                    "passage": "Ada Lovelace wrote the first program for the analytical engine.",
                    "title": "passage.md — qa-desktop"}
    assert QApplication.applicationName() == "qa-desktop"


def test_missing_icon_is_tolerated():
    icon = application_icon()
    assert icon is None or not icon.isNull()


def test_the_window_follows_a_dark_scheme_and_back(make_window, monkeypatch):
    window = make_window()
    app = QApplication.instance()
    try:
        monkeypatch.setenv("QA_DESKTOP_THEME", "dark")
        window.apply_theme()
        assert window.theme.dark
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 128
        assert window.plot.plot_widget.backgroundBrush().color().lightness() < 128
    finally:
        monkeypatch.setenv("QA_DESKTOP_THEME", "light")
        window.apply_theme()
    assert not window.theme.dark
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 128
    assert window.plot.plot_widget.backgroundBrush().color().lightness() > 128
