"""Errors a user can cause: a clear message in the window, nothing typed lost, no crash."""

from __future__ import annotations

from qa_desktop.engine.model_store import user_models_dir
from qa_desktop.gui.failure_words import NO_MODEL_MESSAGE

from gui.window_driver import ask, ask_expecting_failure

PASSAGE = "Ada Lovelace wrote the first program for the analytical engine."


def test_empty_passage(qtbot, make_window):
    window = make_window()
    message = ask_expecting_failure(qtbot, window, "Who wrote it?", "")
    assert message == "The passage is empty. Paste a passage or open a file."
    assert window.banner.isVisible() and window.banner.text == message
    assert window.question.text() == "Who wrote it?"


def test_blank_question_keeps_the_passage(qtbot, make_window):
    window = make_window()
    message = ask_expecting_failure(qtbot, window, "   ", PASSAGE)
    assert message == "The question is empty. Type a question."
    assert window.banner.text == message
    assert window.passage.toPlainText() == PASSAGE


def test_a_too_long_question_is_answered_with_a_warning(qtbot, make_window):
    window = make_window()
    answer = ask(qtbot, window, "why " * 200, PASSAGE)
    assert answer.prediction.candidates
    assert window.banner.isVisible() and window.banner.level == "warning"
    assert "tokens long" in window.banner.text and "left out" in window.banner.text
    assert window.question.text().strip() == ("why " * 200).strip()


def test_a_good_answer_clears_the_error(qtbot, make_window):
    window = make_window()
    ask_expecting_failure(qtbot, window, "", PASSAGE)
    assert window.banner.isVisible()
    ask(qtbot, window, "Who wrote the program?")
    assert not window.banner.isVisible()


def test_without_any_model_the_window_starts_and_says_so(qtbot, make_window, no_bundled_models):
    assert not any(user_models_dir().glob("*"))
    window = make_window(model=None, wait_model=False)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert window.banner.text.startswith("No model loaded: open a model directory")
    assert window.runtime_status.model.text() == "No model loaded"
    message = ask_expecting_failure(qtbot, window, "Who wrote it?", PASSAGE)
    assert message == NO_MODEL_MESSAGE
    assert window.passage.toPlainText() == PASSAGE
    assert window.question.text() == "Who wrote it?"
    labels = [b.text() for b in window.banner._buttons]
    assert labels == ["Open model directory…", "Import…"]


def test_a_directory_with_pytorch_weights_is_explained(qtbot, make_window, tmp_path):
    bad = tmp_path / "checkpoint"
    bad.mkdir()
    (bad / "pytorch_model.bin").write_bytes(b"not really")
    window = make_window(model=str(bad), wait_model=False)
    with qtbot.waitSignal(window.modelFailed, timeout=10_000) as failed:
        pass
    assert "never loads pickled weights" in failed.args[0]
    assert window.banner.text == failed.args[0]


def test_a_missing_model_directory_is_explained(qtbot, make_window, tmp_path):
    window = make_window()
    with qtbot.waitSignal(window.modelFailed, timeout=10_000) as failed:
        window.open_model_directory(tmp_path / "nowhere")
    assert "No model directory or installed model named" in failed.args[0]
    assert window.banner.isVisible()


def test_a_damaged_onnx_file_is_explained(qtbot, make_window, tmp_path, tiny_bert_model):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_bert_model, broken)
    (broken / "model.onnx").write_bytes(b"\x08\x01garbage")
    window = make_window()
    with qtbot.waitSignal(window.modelFailed, timeout=10_000) as failed:
        window.open_model_directory(broken)
    assert "ONNX Runtime cannot load" in failed.args[0]
    # The window still answers with another model afterwards.
    with qtbot.waitSignal(window.modelLoaded, timeout=20_000):
        window.open_model_directory(tiny_bert_model)
    ask(qtbot, window, "Who wrote the program?", PASSAGE)


def test_unexpected_errors_give_a_short_message_and_a_traceback_on_stderr(qtbot, make_window, capsys):
    window = make_window()
    message = window.show_failure(ZeroDivisionError("division by zero"), "Answering")
    assert message.startswith("Answering failed unexpectedly (ZeroDivisionError: division by zero)")
    assert "your passage and question are kept" in message
    assert window.banner.text == message
    assert "ZeroDivisionError" in capsys.readouterr().err
