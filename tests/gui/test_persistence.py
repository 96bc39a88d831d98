"""Nothing lost: autosave (also without a clean exit), settings, question history."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from qa_desktop.gui.app_settings import AppSettings, data_dir
from qa_desktop.gui.draft_autosave import DraftAutosave

from gui.window_driver import ask

PASSAGE = "Ada Lovelace wrote the first program for the analytical engine in 1843."


def test_typed_passage_and_question_come_back_after_the_process_dies(qtbot, make_window):
    first = make_window()
    first.passage.setFocus()
    qtbot.keyClicks(first.passage, "Typed passage, never saved by hand: ")
    first.passage.insertPlainText("東京 😀.")  # QTest types ASCII only; input methods type the rest
    qtbot.keyClicks(first.question, "What was typed?")
    draft = data_dir() / "autosave" / "draft.json"
    qtbot.waitUntil(lambda: draft.exists() and "What was typed?" in draft.read_text(encoding="utf-8"),
                    timeout=10_000)
    # No close(), no closeEvent: as if the process had been killed. A new window restores it.
    second = make_window()
    assert second.passage.toPlainText() == "Typed passage, never saved by hand: 東京 😀."
    assert second.question.text() == "What was typed?"
    assert json.loads(draft.read_text(encoding="utf-8"))["passage"].endswith("😀.")


def test_a_broken_autosave_file_is_ignored(qtbot, make_window, capsys):
    draft = data_dir() / "autosave" / "draft.json"
    draft.parent.mkdir(parents=True)
    draft.write_text("{ not json", encoding="utf-8")
    window = make_window()
    assert window.passage.toPlainText() == ""
    assert "ignoring an unreadable autosave" in capsys.readouterr().err


def test_autosave_that_cannot_write_says_so_once(qtbot, make_window, tmp_path):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    window = make_window(autosave=DraftAutosave(blocked / "draft.json"))
    qtbot.keyClicks(window.question, "Q")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert window.banner.text.startswith("Autosave failed: cannot write")
    assert window.question.text() == "Q"


def test_settings_persist_across_restarts(qtbot, make_window, tiny_bert_model):
    first = make_window()
    panel = first.answer_panel
    panel.top_k.setValue(7)
    panel.abstain.setChecked(True)
    panel.threshold.setValue(2.5)
    first.plot.log_scale.setChecked(True)
    first.plot.set_word_view(True)
    first.resize(760, 560)  # within the offscreen platform's 800×600 screen
    qtbot.wait(10)
    size = first.size()
    first.close()

    settings = AppSettings()
    assert settings.top_k == 7 and settings.threshold == 2.5 and settings.threshold_enabled
    assert settings.last_model == str(tiny_bert_model)
    assert str(tiny_bert_model) in settings.recent_models

    second = make_window(model=None)  # no model named: the last one is opened
    assert second.model_info is not None and second.model_info.path == tiny_bert_model
    assert second.answer_panel.top_k.value() == 7
    assert second.answer_panel.threshold_value() == 2.5
    assert second.plot.log_scaled and second.plot.word_view
    assert second.size() == size
    assert second.model_selector.current_spec() == str(tiny_bert_model)


def test_damaged_settings_fall_back_to_defaults(qtbot, make_window):
    settings = AppSettings()
    settings.qsettings.setValue("answer/top_k", "many")
    settings.qsettings.setValue("model/recent", "[broken")
    settings.sync()
    window = make_window()
    assert window.answer_panel.top_k.value() == 5
    assert AppSettings().recent_models == [str(window.model_info.path)]


def test_up_and_down_walk_the_question_history(qtbot, make_window):
    window = make_window()
    ask(qtbot, window, "Who wrote it?", PASSAGE)
    ask(qtbot, window, "When was it written?")
    field = window.question
    field.setText("half-typed")
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Up)
    assert field.text() == "When was it written?"
    qtbot.keyClick(field, Qt.Key.Key_Up)
    assert field.text() == "Who wrote it?"
    qtbot.keyClick(field, Qt.Key.Key_Up)
    assert field.text() == "Who wrote it?"
    qtbot.keyClick(field, Qt.Key.Key_Down)
    qtbot.keyClick(field, Qt.Key.Key_Down)
    assert field.text() == "half-typed"
    # The history is kept with the autosaved draft, and comes back in the next window.
    draft = data_dir() / "autosave" / "draft.json"
    qtbot.waitUntil(lambda: draft.exists() and json.loads(draft.read_text(encoding="utf-8"))["history"]
                    == ["Who wrote it?", "When was it written?"], timeout=10_000)
    second = make_window()
    assert second.question.history == ["Who wrote it?", "When was it written?"]
    second.question.setFocus()
    qtbot.keyClick(second.question, Qt.Key.Key_Up)
    assert second.question.text() == "When was it written?"


def test_enter_in_the_question_asks(qtbot, make_window):
    window = make_window()
    window.set_passage(PASSAGE)
    window.question.setText("Who wrote the first program?")
    window.question.setFocus()
    with qtbot.waitSignal(window.answerShown, timeout=30_000) as shown:
        qtbot.keyClick(window.question, Qt.Key.Key_Return)
    assert shown.args[0].prediction.question == "Who wrote the first program?"


def test_opening_a_file_can_be_undone(qtbot, make_window, tmp_path):
    window = make_window()
    window.passage.setFocus()
    qtbot.keyClicks(window.passage, "my own words")
    path = tmp_path / "doc.txt"
    path.write_text("file words", encoding="utf-8")
    with qtbot.waitSignal(window.passageOpened, timeout=10_000):
        window.open_file(path)
    assert window.passage.toPlainText() == "file words"
    window.passage.undo()
    assert window.passage.toPlainText() == "my own words"
    window.passage.moveCursor(QTextCursor.MoveOperation.End)
