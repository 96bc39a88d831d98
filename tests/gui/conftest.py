"""Fixtures for the window tests: a MainWindow on the tiny model, and a way to ask and wait."""

from __future__ import annotations

import pytest

from qa_desktop.gui.background_operation import wait_for_all

from gui.window_driver import ANSWER_TIMEOUT_MS


@pytest.fixture(autouse=True)
def no_widgets_left_behind(qapp):
    """Each test starts with no windows from the ones before: pytest-qt closes the widgets it
    was given and calls deleteLater, but outside a running event loop the deletion waits forever,
    and hundreds of hidden windows (their menus, timers and objects) made later tests slower:
    the stall probe measured 600 leftover top-level widgets after the other window tests."""
    yield
    from PySide6.QtCore import QCoreApplication, QEvent

    for widget in qapp.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def make_window(qtbot, tiny_bert_model):
    """make_window(model=..., wait_model=True, **MainWindow options) -> shown MainWindow."""
    from qa_desktop.gui.main_window import MainWindow

    made = []

    def make(model: str | None = str(tiny_bert_model), wait_model: bool = True, **options):
        window = MainWindow(model=model, **options)
        qtbot.addWidget(window)
        made.append(window)
        if wait_model:
            with qtbot.waitSignal(window.modelLoaded, timeout=ANSWER_TIMEOUT_MS):
                window.show()
        else:
            window.show()
        return window

    yield make
    for window in made:
        window.cancel_running()
    wait_for_all(30_000)

