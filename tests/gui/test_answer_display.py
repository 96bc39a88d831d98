"""Ask → the answer highlighted at its characters, listed, plotted, and looked inside."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QTextCursor

from qa_desktop.engine.span_decoder import VALID
from qa_desktop.engine.span_loss import span_loss
from qa_desktop.gui.probability_plot import LOG_FLOOR

from gui.window_driver import ask

PASSAGE = (
    "The quick brown fox jumps over the lazy dog near the river bank in 1890.\n\n"
    "Ada Lovelace wrote the first program for the analytical engine. What is the capital of "
    "France? Paris is the capital and largest city. A BERT encoder turns the question and the "
    "passage into hidden vectors.\n") * 3
QUESTION = "Who wrote the first program?"


@pytest.fixture
def answered(qtbot, make_window):
    window = make_window()
    answer = ask(qtbot, window, QUESTION, PASSAGE)
    return window, answer


def select(editor, start: int, end: int) -> None:
    cursor = editor.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)


def test_the_best_answer_is_highlighted_at_exactly_its_characters(answered):
    window, answer = answered
    best = answer.prediction.best
    assert best.text == PASSAGE[best.start:best.end]
    assert window.passage.highlight("answer") == (best.start, best.end)
    assert window.passage.highlighted_text("answer") == best.text
    # Scrolled into view: the caret sits at the answer's start.
    assert window.passage.textCursor().position() == best.start
    assert " ".join(best.text.split())[:40] in window.answer_panel.summary.text()
    assert not window.answer_panel.no_answer.isVisible()


def test_top_k_answers_are_listed_with_scores(answered):
    window, answer = answered
    table = window.answer_panel.table
    candidates = answer.prediction.candidates
    assert table.rowCount() == len(candidates) == 5
    for row, a in enumerate(candidates):
        assert table.item(row, 3).text() == f"{a.score:.2f}"
        assert table.item(row, 7).text() == f"{a.start}–{a.end}"


def test_clicking_a_top_k_row_moves_the_highlight_to_that_answer(qtbot, answered):
    window, answer = answered
    table = window.answer_panel.table
    for row in (2, 4, 1):
        a = answer.prediction.candidates[row]
        rect = table.visualRect(table.model().index(row, 1))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.passage.highlight("answer") == (a.start, a.end)
        assert window.passage.highlighted_text("answer") == a.text
        assert window.plot.answer_tokens == (a.start_token, a.end_token)
        assert window.heatmap.space.window == a.window
        assert window.inspector.window_index == a.window


def test_abstaining_says_no_answer_and_the_threshold_rejudges_without_rerunning(qtbot, answered):
    window, answer = answered
    panel = window.answer_panel
    panel.threshold.setValue(-1000.0)
    panel.abstain.setChecked(True)
    assert not window.busy  # re-judged, not re-run
    assert window.answer.prediction.abstained
    assert panel.no_answer.isVisible()
    assert panel.no_answer.text() == "No answer in this passage"
    assert window.passage.highlight("answer") is None
    assert window.answer.prediction.candidates == answer.prediction.candidates
    # A rejected candidate can still be looked at.
    table = panel.table
    a = answer.prediction.candidates[1]
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(table.model().index(1, 1)).center())
    assert window.passage.highlight("answer") == (a.start, a.end)
    # Raising the threshold accepts the answer again.
    panel.threshold.setValue(1000.0)
    assert not window.answer.prediction.abstained
    assert not panel.no_answer.isVisible()
    assert window.passage.highlight("answer") is not None


def test_one_plot_point_per_passage_token(answered):
    window, answer = answered
    tokens = answer.prediction.tokens
    x, start, end = window.plot.curve_data()
    assert window.plot.point_count() == len(tokens) == x.shape[0]
    np.testing.assert_array_equal(x, np.arange(len(tokens)))
    np.testing.assert_allclose(start, [t.start_prob for t in tokens])
    np.testing.assert_allclose(end, [t.end_prob for t in tokens])
    assert window.plot.bands.count == len(answer.prediction.windows)
    assert f"{len(answer.prediction.windows)} window" in window.plot.info.text()
    best = answer.prediction.best
    assert window.plot.answer_tokens == (best.start_token, best.end_token)


def test_log_scale_and_word_view(answered):
    window, answer = answered
    plot = window.plot
    plot.log_scale.setChecked(True)
    _, start, _ = plot.curve_data()
    np.testing.assert_allclose(start, np.log10(np.maximum(answer.prediction.tokens.start_prob, LOG_FLOOR)))
    plot.log_scale.setChecked(False)

    plot.set_word_view(True)
    words = answer.words
    assert plot.point_count() == len(words) < len(answer.prediction.tokens)
    _, start, end = plot.curve_data()
    assert start.sum() == pytest.approx(1.0) and end.sum() == pytest.approx(1.0)
    # "Lovelace" is several WordPiece pieces but one word in the word view.
    i = PASSAGE.index("Lovelace")
    word = int(np.nonzero((words.char_start <= i) & (i < words.char_end))[0][0])
    assert PASSAGE[words.char_start[word]:words.char_end[word]] == "Lovelace"
    assert "Lovelace" in plot.hover_text(word)
    plot.set_word_view(False)
    assert plot.point_count() == len(answer.prediction.tokens)


def test_hover_reads_out_the_token_and_both_probabilities(answered):
    window, answer = answered
    token = answer.prediction.tokens[7]
    text = window.plot.hover_text(7)
    assert token.text in text
    assert f"start {token.start_prob:.4g}" in text and f"end {token.end_prob:.4g}" in text


def test_clicking_a_plot_point_highlights_its_token_in_the_passage(qtbot, answered):
    window, answer = answered
    plot = window.plot
    index = 12
    plot.zoom_to_tokens(index, index, context=10)
    qtbot.wait(50)
    scene_point = plot.view_box.mapViewToScene(QPointF(index, 0))
    view_point = plot.plot_widget.mapFromScene(scene_point)
    with qtbot.waitSignal(plot.tokensPicked, timeout=3000) as picked:
        qtbot.mouseClick(plot.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=view_point)
    assert picked.args == [index, index]
    token = answer.prediction.tokens[index]
    assert window.passage.highlight("token") == (token.start, token.end)


def test_selecting_passage_text_marks_its_tokens_in_the_plot(answered):
    window, answer = answered
    start = PASSAGE.index("Lovelace")
    select(window.passage, start, start + len("Lovelace wrote"))
    first, last = window.plot.selection_tokens
    tokens = answer.prediction.tokens
    assert tokens[first].start <= start < tokens[first].end
    assert tokens[last].start < start + len("Lovelace wrote") <= tokens[last].end
    assert window.plot.selection_region.isVisible()
    window.passage.moveCursor(QTextCursor.MoveOperation.End)
    assert window.plot.selection_tokens is None


def test_heatmap_is_the_search_space_around_the_answer(answered):
    window, answer = answered
    p = answer.prediction
    best = p.best
    space = window.heatmap.space
    assert window.heatmap.image_shape() == space.shape == (space.hi - space.lo,) * 2
    row, col = space.answer_cell  # the span the model scored (the answer may be widened to words)
    assert space.kinds[row, col] == VALID
    assert space.scores[row, col] == pytest.approx(best.score, abs=1e-4)
    w = p.windows[best.window]
    assert space.answer_span == (w.context_offset + best.start_token - w.passage_token_start - space.lo,
                                 w.context_offset + best.end_token - w.passage_token_start - space.lo)
    assert space.answer_span[0] <= row <= col <= space.answer_span[1]
    np.testing.assert_allclose(
        space.scores, p.start_logits[space.window, space.lo:space.hi, None].astype(np.float64)
        + p.end_logits[space.window, None, space.lo:space.hi])
    kinds = set(np.unique(space.kinds).tolist())
    assert {1, 2} <= kinds  # end-before-start and too-long cells are there, masked


def test_clicking_a_heatmap_cell_highlights_that_span(answered):
    window, answer = answered
    space = window.heatmap.space
    row, col = space.answer_cell
    window.heatmap.pick(row, row)  # a one-token span at the answer's start
    w = answer.prediction.windows[space.window]
    token = answer.prediction.tokens[w.passage_token_start + space.lo + row - w.context_offset]
    assert window.passage.highlight("token") == (token.start, token.end)


def test_inspector_shows_the_shapes_and_the_window_tokens(answered):
    window, answer = answered
    p = answer.prediction
    inspector = window.inspector
    w, s, two = p.logits_shape
    assert inspector.shapes["logits"] == p.logits_shape
    assert inspector.shapes["hidden"] == (w, s, 32)  # the tiny model's hidden size
    assert inspector.shapes["qa_outputs"] == (32, 2)
    assert inspector.shapes["start"] == inspector.shapes["end"] == (w, s)
    assert f"= ({w}, {s}, 2)" in inspector.stage_labels["logits"].text()
    model = inspector.table_model
    assert model.rowCount() == s
    window0 = p.windows[inspector.window_index]
    assert model.cell(0, 1) == window0.token_strings[0]
    assert model.cell(0, 2) == str(int(window0.input_ids[0]))
    assert model.cell(window0.context_offset, 5) == "passage"
    assert model.cell(window0.context_offset, 3) == str(int(window0.token_type_ids[window0.context_offset]))
    assert model.cell(0, 4) == "1"


def test_mark_the_true_answer_shows_the_training_loss(qtbot, answered):
    window, answer = answered
    start = PASSAGE.index("Ada Lovelace")
    select(window.passage, start, start + len("Ada Lovelace"))
    qtbot.mouseClick(window.inspector.mark_button, Qt.MouseButton.LeftButton)
    loss = window.inspector.loss
    assert loss is not None
    tokens = answer.prediction.tokens
    assert tokens[loss.start_token].start == start
    assert tokens[loss.end_token].end == start + len("Ada Lovelace")
    expected = span_loss(answer.prediction, loss.start_token, loss.end_token)
    assert loss.total_loss == pytest.approx(expected.total_loss)
    assert f"total {loss.total_loss:.4f}" in window.inspector.loss_summary.text()
    assert window.passage.highlight("gold") == (start, start + len("Ada Lovelace"))
    assert window.inspector.loss_table.rowCount() == len(answer.prediction.windows)


def test_mark_the_true_answer_without_a_selection_says_what_to_do(answered):
    window, _ = answered
    window.passage.moveCursor(QTextCursor.MoveOperation.Start)
    window.mark_true_answer()
    assert window.inspector.loss is None
    assert "Select the true answer" in window.inspector.loss_summary.text()


def test_editing_the_passage_marks_the_answer_stale(qtbot, answered):
    window, answer = answered
    window.passage.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(window.passage, " More text.")
    assert window.answer_panel.stale.isVisible()
    window.plot.pick(3)  # no longer linked: the offsets index the old text
    assert window.passage.highlight("token") is None
    window.mark_true_answer()
    assert "changed" in window.inspector.loss_summary.text()


def test_zoom_to_the_answer_and_back(answered):
    window, answer = answered
    plot = window.plot
    best = answer.prediction.best
    plot.zoom_to_answer()
    (x0, x1), (y0, y1) = plot.view_box.viewRange()
    assert x0 <= best.start_token and best.end_token <= x1
    assert x1 - x0 < len(answer.prediction.tokens)
    visible = answer.prediction.tokens.start_prob[max(0, int(x0)):int(x1) + 1]
    assert y1 >= visible.max()  # y fitted to what is in view
    plot.zoom_all()
    (x0, x1), _ = plot.view_box.viewRange()
    assert x0 <= 0 and x1 >= len(answer.prediction.tokens) - 1
