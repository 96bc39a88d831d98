"""Fixtures for the window tests: a MainWindow on the tiny model, and a way to ask and wait."""

from __future__ import annotations

import pytest

from qa_desktop.gui.background_operation import wait_for_all

from gui.window_driver import ANSWER_TIMEOUT_MS


@pytest.fixture
def make_window(qtbot, tiny_bert_model):
    """make_window(model=..., wait_model=True, **MainWindow options) -> shown MainWindow (with
    wait_model: its model loaded and its views made)."""
    from qa_desktop.gui.main_window import MainWindow

    made = []

    def make(model: str | None = str(tiny_bert_model), wait_model: bool = True, **options):
        window = MainWindow(model=model, **options)
        qtbot.addWidget(window)
        made.append(window)
        if wait_model:
            with qtbot.waitSignal(window.modelLoaded, timeout=ANSWER_TIMEOUT_MS):
                window.show()
            # The plot, heatmap and inspector follow the load a turn later (window_startup).
            qtbot.waitUntil(lambda: window.views_ready, timeout=ANSWER_TIMEOUT_MS)
        else:
            window.show()
        return window

    yield make
    for window in made:
        window.cancel_running()
    wait_for_all(30_000)

