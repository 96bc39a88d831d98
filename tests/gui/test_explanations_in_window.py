"""The window's explanations: the Inspector's qa_outputs tab (strips and 2-D view for the answer's
tokens and for a token clicked in the plot or the passage, computed only when the tab is shown),
"Why this answer?" (cost stated, then the heat overlay and the sorted words), and the exports."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from conftest import bundled_default_model
from gui.window_driver import ANSWER_TIMEOUT_MS, ask

QUESTION = "Who wrote the first program?"
PASSAGE = ("Ada Lovelace wrote the first program for the analytical engine in 1843. Charles Babbage designed "
           "the engine, and the fox jumped over the lazy dog while they worked.")


def _show_head(qtbot, window):
    with qtbot.waitSignal(window.explanations.headShown, timeout=ANSWER_TIMEOUT_MS) as blocker:
        window.explain_head_action.trigger()
    return blocker.args[0]


def _window_tokens(prediction, window):
    w = prediction.windows[window]
    return w.passage_token_end - w.passage_token_start


def test_qa_outputs_tab_explains_the_answer_only_once_shown(qtbot, make_window):
    window = make_window()
    answer = ask(qtbot, window, QUESTION, PASSAGE)
    p = answer.prediction
    tab = window.inspector.head_tab
    # Nothing is computed on the answer path, nor while the tab is hidden.
    assert window.explanations.head is None and not window.explanations.running and tab.strips is None

    explanation = _show_head(qtbot, window)
    assert window.tabs.currentWidget() is window.inspector and tab.isVisible()
    best = p.candidates[0]
    assert [(t.role, t.passage_token) for t in explanation.tokens] == [
        ("answer start", best.start_token), ("answer end", best.end_token)]
    hidden = explanation.weights.hidden_size
    assert hidden == answer.model.hidden_size
    strips = tab.strips.strip_data()
    assert all(values.shape == (1, hidden) for values in strips.values())
    start = explanation.tokens[0].decomposition
    np.testing.assert_allclose(strips["products"][0], start.start_products)
    assert tab.strips.sorted_products().shape == (hidden,)
    # fp32 model: the sum is the model's logit, and the model's logit is the answer's.
    assert start.start_sum == pytest.approx(start.model_start_logit, abs=1e-4)
    assert start.model_start_logit == pytest.approx(float(p.tokens.start_logit[best.start_token]), abs=1e-4)
    assert tab.projection.point_data().shape == (_window_tokens(p, best.window), 2)
    assert set(tab.projection.arrow_tips()) == {"start", "end"}
    assert f"{explanation.weights.cosine:+.3f}" in tab.projection.info.text()
    assert "exact, fp32" in tab.message.text()
    tab.token_choice.setCurrentIndex(1)  # the answer's end token: the end logit
    assert tab.strips.which == "end"
    np.testing.assert_allclose(tab.strips.strip_data()["products"][0], explanation.tokens[1].decomposition.end_products)


def test_a_token_clicked_in_the_plot_or_the_passage_is_explained(qtbot, make_window):
    window = make_window()
    answer = ask(qtbot, window, QUESTION, PASSAGE)
    p = answer.prediction
    _show_head(qtbot, window)
    tab = window.inspector.head_tab

    # The plot is on another tab: a click there is remembered and explained when the tab shows.
    window.tabs.setCurrentWidget(window.plot)
    clicked = len(p.tokens) - 3
    window.plot.pick(clicked)
    assert window.explanations.clicked == clicked and window.explanations.head is None
    assert not window.explanations.running
    with qtbot.waitSignal(window.explanations.headShown, timeout=ANSWER_TIMEOUT_MS) as blocker:
        window.tabs.setCurrentWidget(window.inspector)
    explanation = blocker.args[0]
    item = explanation.token("clicked token")
    assert item.passage_token == clicked and tab.token_choice.count() == 3
    assert tab.token_choice.currentIndex() == 2 and f"token {clicked}" in tab.token_choice.currentText()
    d = item.decomposition
    assert d.window == int(p.tokens.window[clicked])
    assert d.start_sum == pytest.approx(float(p.tokens.start_logit[clicked]), abs=1e-4)
    assert tab.strips.strip_data()["hidden"].shape == (1, explanation.weights.hidden_size)
    assert tab.projection.point_data().shape == (_window_tokens(p, d.window), 2)

    # A click in the passage, on the word "fox".
    position = PASSAGE.index("fox") + 1
    passage = window.passage
    cursor = passage.textCursor()
    cursor.setPosition(position)
    point = passage.cursorRect(cursor).center()
    with qtbot.waitSignal(window.explanations.headShown, timeout=ANSWER_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(passage.viewport(), Qt.MouseButton.LeftButton, pos=point)
    item = blocker.args[0].token("clicked token")
    token = p.tokens[item.passage_token]
    assert token.start <= position < token.end and "fox" in PASSAGE[token.start - 1:token.end + 1]


def test_why_this_answer_states_the_cost_then_shows_the_overlay(qtbot, make_window):
    window = make_window()
    ask(qtbot, window, QUESTION, PASSAGE)
    tab = window.inspector.words_tab
    with qtbot.waitSignal(window.explanations.planShown, timeout=ANSWER_TIMEOUT_MS) as blocker:
        window.why_action.trigger()
    plan = blocker.args[0]
    assert window.inspector.sections.currentWidget() is tab and tab.isVisible()
    assert window.explanations.words is None  # nothing run yet: the cost is stated first
    assert f"reads {plan.extra_windows} extra windows" in tab.message.text()
    assert plan.extra_windows == len(plan.texts) + 1
    assert tab.run_button.isEnabled() and str(plan.extra_windows) in tab.run_button.text()

    with qtbot.waitSignal(window.explanations.wordsShown, timeout=ANSWER_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(tab.run_button, Qt.MouseButton.LeftButton)
    occlusion = blocker.args[0].occlusion
    assert occlusion.drop.shape == (len(plan.texts),)
    assert tab.words.rowCount() == len(plan.texts)
    assert tab.words.item(0, 2).text() == occlusion.texts[int(np.argmax(occlusion.drop))]
    questions = int((plan.side == 0).sum())
    assert tab.question_view.text().count("<span") == questions
    assert "background-color" in tab.passage_view.toHtml()
    assert "Ada" in tab.passage_view.toPlainText() and tab.passage_view.toPlainText().strip() == PASSAGE

    # A new answer clears it: the tabs always explain the answer on screen.
    ask(qtbot, window, "What did Babbage design?", PASSAGE)
    assert window.explanations.words is None and tab.words.rowCount() == 0


def test_occlusion_shows_progress_and_cancels(qtbot, make_window, monkeypatch):
    from qa_desktop.gui import explain_operations

    real = explain_operations.run_occlusion

    def held_until_cancelled(answerer, prediction, plan, progress=None, cancelled=None, **options):
        progress(0, plan.extra_windows)
        deadline = time.monotonic() + ANSWER_TIMEOUT_MS / 1000
        while not cancelled() and time.monotonic() < deadline:  # on the worker thread: a plain poll
            time.sleep(0.01)
        return real(answerer, prediction, plan, progress=progress, cancelled=cancelled, **options)

    monkeypatch.setattr(explain_operations, "run_occlusion", held_until_cancelled)
    window = make_window()
    ask(qtbot, window, QUESTION, PASSAGE)
    tab = window.inspector.words_tab
    with qtbot.waitSignal(window.explanations.planShown, timeout=ANSWER_TIMEOUT_MS):
        window.why_action.trigger()
    window.explanations.run_occlusion()
    qtbot.waitUntil(lambda: tab.progress.isVisible() and tab.progress.bar.maximum() == tab.plan.extra_windows,
                    timeout=ANSWER_TIMEOUT_MS)
    assert not tab.run_button.isEnabled()
    with qtbot.waitSignal(window.explanations.failed, timeout=ANSWER_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(tab.progress.cancel, Qt.MouseButton.LeftButton)
    assert "cancel" in blocker.args[0].lower() and tab.message.text() == blocker.args[0]
    qtbot.waitUntil(lambda: not window.explanations.running, timeout=ANSWER_TIMEOUT_MS)
    assert window.explanations.words is None and tab.run_button.isEnabled() and not tab.progress.isVisible()


def test_export_includes_the_explanations(qtbot, make_window, tmp_path):
    window = make_window()
    ask(qtbot, window, QUESTION, PASSAGE)
    window.explanations.why_this_answer()
    qtbot.waitUntil(lambda: window.inspector.words_tab.plan is not None, timeout=ANSWER_TIMEOUT_MS)
    with qtbot.waitSignal(window.explanations.wordsShown, timeout=ANSWER_TIMEOUT_MS):
        window.explanations.run_occlusion()
    path = tmp_path / "answers.json"
    window.export_answers(path)
    qtbot.waitUntil(lambda: path.exists(), timeout=10_000)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "qa_outputs" not in data["explanations"]  # not computed: not exported
    assert len(data["explanations"]["words"]["words"]) == len(window.explanations.words.occlusion.texts)

    _show_head(qtbot, window)
    path.unlink()
    window.export_answers(path)
    qtbot.waitUntil(lambda: path.exists(), timeout=10_000)
    head = json.loads(path.read_text(encoding="utf-8"))["explanations"]["qa_outputs"]
    assert [t["role"] for t in head["tokens"]] == ["answer start", "answer end"]
    first = window.explanations.head.tokens[0].decomposition
    assert head["tokens"][0]["start"]["sum"] == pytest.approx(first.start_sum, abs=1e-5)
    assert len(head["projections"][0]["points"]) == len(window.explanations.head.projections[first.window].points)

    for suffix in (".png", ".svg"):
        saved = window.export_plot(tmp_path / f"plot{suffix}")
        assert saved is not None
        for name in ("strips", "projection"):
            extra = tmp_path / f"plot-qa_outputs-{name}{suffix}"
            assert extra.exists() and extra.stat().st_size > 0


def test_int8_model_shows_the_exact_product_beside_the_int8_logit(qtbot, make_window):
    window = make_window(model=str(bundled_default_model()))
    answer = ask(qtbot, window, "When was the bridge opened?",
                 "The Golden Gate Bridge was designed by Joseph Strauss and opened in 1937.")
    assert answer.model.quantization
    explanation = _show_head(qtbot, window)
    d = explanation.tokens[0].decomposition
    assert explanation.weights.quantized and d.quantized_start_sum is not None
    text = window.inspector.head_tab.message.text()
    assert "exact, fp32" in text and "int8 logit" in text and f"{d.quantized_start_sum:+.4f}" in text
    assert "quantizes h to uint8" in window.inspector.head_tab.message.text()
