"""First run: the empty window offers examples (one click loads and asks), and Help explains the tabs."""

from __future__ import annotations

from qa_desktop.gui.sample_passage import SAMPLES
from qa_desktop.gui.tab_guide import GUIDE_HTML

from gui.window_driver import ANSWER_TIMEOUT_MS


def test_an_empty_window_offers_examples_and_one_click_loads_and_asks(qtbot, make_window):
    window = make_window(restore_draft=False)
    assert window.passage.toPlainText() == "" and window.examples.isVisible()
    titles = [b.text() for b in window.examples.buttons]
    assert titles == [s.title for s in SAMPLES] and any("Korean" in t for t in titles)
    korean = next(s for s in SAMPLES if "Korean" in s.title)
    assert korean.questions[0] == "위키는 어떤 언어를 이용하는가?"
    button = window.examples.buttons[titles.index(korean.title)]
    with qtbot.waitSignal(window.answerShown, timeout=ANSWER_TIMEOUT_MS) as shown:
        button.click()
    assert shown.args[0].prediction.question == korean.questions[0]
    assert window.passage.toPlainText() == korean.passage
    assert not window.examples.isVisible()  # the passage is no longer empty
    window.examples_action.trigger()  # Help → Try an example brings the offer back
    assert window.examples.isVisible()


def test_help_has_a_plain_guide_to_the_tabs(qtbot, make_window):
    window = make_window(restore_draft=False)
    window.guide_action.trigger()
    box = window.first_run.guide
    qtbot.waitUntil(box.isVisible)
    for tab in ("Start/end probabilities", "Span scores", "Inspector"):
        assert tab in box.text() and tab in GUIDE_HTML
    assert "Mark the true answer" in box.text()
    box.close()
