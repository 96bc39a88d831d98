"""The library panel: add, drop, refresh, cancel, ask, and the answer_chosen signal."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from conftest import bundled_default_model
from qa_desktop.engine.library import library_sync
from qa_desktop.gui.background_operation import wait_for_all

TIMEOUT_MS = 60_000


@pytest.fixture
def panel(qtbot, tmp_path):
    from qa_desktop.gui.library_panel import LibraryPanel

    made = LibraryPanel(library_dir=tmp_path / "lib", model=str(bundled_default_model()))
    qtbot.addWidget(made)
    made.show()
    qtbot.waitUntil(lambda: not made.busy, timeout=TIMEOUT_MS)
    yield made
    made.cancel()
    wait_for_all(30_000)


@pytest.fixture
def docs(library_docs):
    return library_docs


def _run(qtbot, panel, start):
    with qtbot.waitSignal(panel.operation_finished, timeout=TIMEOUT_MS):
        assert start() is not None


def _rows(panel):
    return {panel.documents.topLevelItem(i).text(0): panel.documents.topLevelItem(i).text(1)
            for i in range(panel.documents.topLevelItemCount())}


def test_add_lists_documents_and_skipped_files_with_reasons(qtbot, panel, docs):
    _run(qtbot, panel, lambda: panel.add_paths([docs]))
    rows = _rows(panel)
    assert rows[str(docs / "bridge.txt")].startswith("indexed")
    assert rows[str(docs / "broken.docx")].startswith("skipped: ") and "docx" in rows[str(docs / "broken.docx")]
    assert "2 indexed" in panel.message.text() and panel.add_files_button.isEnabled()

    (docs / "tower.md").unlink()
    _run(qtbot, panel, panel.refresh)
    assert str(docs / "tower.md") not in _rows(panel) and "1 removed" in panel.message.text()
    _run(qtbot, panel, lambda: panel.remove_path(docs / "bridge.txt"))
    assert str(docs / "bridge.txt") not in _rows(panel)


def test_dropping_files_and_folders_adds_them(qtbot, panel, docs):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(docs))])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    panel.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(panel.operation_finished, timeout=TIMEOUT_MS):
        panel.dropEvent(drop)
    assert str(docs / "bridge.txt") in _rows(panel)


def test_progress_counts_and_cancel_keeps_what_was_indexed(qtbot, panel, tmp_path, monkeypatch):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(30):
        (folder / f"{i:02d}.txt").write_text(f"Document {i}.", encoding="utf-8")
    real = library_sync.read_library_file
    import time

    def slow(path, limit):
        time.sleep(0.05)
        return real(path, limit)

    monkeypatch.setattr(library_sync, "read_library_file", slow)
    with qtbot.waitSignal(panel.operation_finished, timeout=TIMEOUT_MS):
        panel.add_paths([folder])
        qtbot.waitUntil(lambda: panel.progress_bar.maximum() == 30 and panel.progress_bar.value() >= 3,
                        timeout=TIMEOUT_MS)
        assert panel.progress_label.text().startswith("Indexing ") and panel.cancel_button.isVisible()
        assert not panel.add_folder_button.isEnabled()
        panel.cancel()
    assert "cancelled" in panel.message.text()
    qtbot.waitUntil(lambda: not panel.busy and 3 <= len(_rows(panel)) < 30, timeout=TIMEOUT_MS)
    assert "cancelled" in panel.message.text()


def test_ask_shows_answers_with_documents_and_emits_the_choice(qtbot, panel, docs):
    _run(qtbot, panel, lambda: panel.add_paths([docs]))
    panel.question.setText("Who designed the Golden Gate Bridge?")
    _run(qtbot, panel, panel.ask)
    assert panel.results.count() >= 1
    first = panel.results.item(0)
    assert first.text() == "Joseph Strauss — bridge.txt"
    with qtbot.waitSignal(panel.answer_chosen) as chosen:
        panel.results.itemActivated.emit(first)
    path, text, start, end = chosen.args
    assert path == str(docs / "bridge.txt") and text == "Joseph Strauss"
    assert panel.document_text(path)[start:end] == text


def test_user_errors_are_messages_not_tracebacks(qtbot, panel, docs):
    panel.question.setText("Who designed it?")
    _run(qtbot, panel, panel.ask)
    assert "no documents yet" in panel.message.text()
    panel.question.setText("   ")
    assert panel.ask() is None and "Type a question" in panel.message.text()
    _run(qtbot, panel, lambda: panel.remove_path(docs / "nothing.txt"))
    assert "not in the library" in panel.message.text()
