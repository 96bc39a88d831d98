"""The library in the window: File → Library… opens the dock, it shares the window's model, files
dropped on it are indexed, and clicking an answer opens its document with the answer highlighted
and the usual plot and inspector showing it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from conftest import bundled_default_model
from gui.window_driver import ANSWER_TIMEOUT_MS

BRIDGE = ("<html><body><h1>Bridges</h1><p>The Golden Gate Bridge was designed by Joseph Strauss and "
          "opened in 1937.</p><p>It spans the strait at the mouth of San Francisco Bay.</p></body></html>")


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    # HTML: the answer's offsets refer to the library's extracted text, not the file's bytes.
    (folder / "bridge.html").write_text(BRIDGE, encoding="utf-8")
    (folder / "tower.md").write_text("The Eiffel Tower in Paris was finished in 1889 for the World's Fair.",
                                     encoding="utf-8")
    return folder


def _drop(qtbot, panel, folder):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(panel, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(panel.operation_finished, timeout=ANSWER_TIMEOUT_MS):
        QApplication.sendEvent(panel, drop)


def test_library_dock_answer_opens_the_document_highlighted(qtbot, make_window, docs):
    model = bundled_default_model()
    window = make_window(model=str(model))
    assert window.library.dock is None  # nothing opened before it is asked for
    window.library_action.trigger()
    dock, panel = window.library.dock, window.library.panel
    assert dock.isVisible() and dock.widget() is panel and window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    qtbot.waitUntil(lambda: not panel.busy, timeout=ANSWER_TIMEOUT_MS)

    _drop(qtbot, panel, docs)
    indexed = {panel.documents.topLevelItem(i).text(0) for i in range(panel.documents.topLevelItemCount())}
    assert indexed == {str(docs / "bridge.html"), str(docs / "tower.md")}

    panel.question.setText("Who designed the Golden Gate Bridge?")
    with qtbot.waitSignal(panel.operation_finished, timeout=ANSWER_TIMEOUT_MS):
        panel.ask()
    assert panel.results.count() > 0
    item = panel.results.item(0)
    document, text, start, end = item.data(Qt.ItemDataRole.UserRole)
    assert document == str(docs / "bridge.html") and "Strauss" in text
    # One model in memory: the panel read with the window's loaded model, not one of its own.
    assert panel._answerers == {} and window.models.loaded(model) is not None

    with qtbot.waitSignal(window.library.answerHighlighted, timeout=ANSWER_TIMEOUT_MS):
        rect = panel.results.visualItemRect(item)
        qtbot.mouseClick(panel.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    extracted = panel.document_text(document)
    assert "<p>" not in extracted and extracted[start:end] == text
    assert window.passage.toPlainText() == extracted
    assert window.passage.highlighted_text("answer") == text
    assert window.question.text() == "Who designed the Golden Gate Bridge?"
    assert window.windowTitle().startswith("bridge.html")
    # The usual plot and inspector show the window's answer about that document.
    answer = window.session.answer
    assert answer.prediction.passage == extracted and not window.session.stale
    assert window.plot.point_count() == len(answer.prediction.tokens)
    assert window.inspector.answer is answer
    chosen = answer.prediction.candidates[window.session.chosen]
    if (chosen.start, chosen.end) == (start, end):  # the library's span is among the window's answers
        assert window.plot.answer_tokens == (chosen.start_token, chosen.end_token)


def test_library_follows_the_window_model_choice(qtbot, make_window, tiny_bert_model, docs):
    window = make_window()
    window.library.show()
    panel = window.library.panel
    assert panel.model == str(tiny_bert_model) and panel.models is window.models
    qtbot.waitUntil(lambda: not panel.busy, timeout=ANSWER_TIMEOUT_MS)
    # The tiny random model's library answer is usually not among the window's own answers for
    # the whole document: it is highlighted all the same.
    _drop(qtbot, panel, docs)
    panel.question.setText("When was the Eiffel Tower finished?")
    with qtbot.waitSignal(panel.operation_finished, timeout=ANSWER_TIMEOUT_MS):
        panel.ask()
    document, text, start, end = panel.results.item(0).data(Qt.ItemDataRole.UserRole)
    with qtbot.waitSignal(window.library.answerHighlighted, timeout=ANSWER_TIMEOUT_MS):
        panel.answer_chosen.emit(document, text, start, end)
    assert window.passage.highlighted_text("answer") == text
    with qtbot.waitSignal(window.modelLoaded, timeout=ANSWER_TIMEOUT_MS):
        window.choose_model(str(bundled_default_model()))
    assert panel.model == str(bundled_default_model())
