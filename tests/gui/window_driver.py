"""Driving the window from tests: ask and wait for the answer (or the failure message)."""

from __future__ import annotations

ANSWER_TIMEOUT_MS = 60_000


def ask(qtbot, window, question: str, passage: str | None = None):
    """Ask through the window and return the PreparedAnswer it shows."""
    if passage is not None:
        window.set_passage(passage)
    window.question.setText(question)
    with qtbot.waitSignal(window.answerShown, timeout=ANSWER_TIMEOUT_MS) as blocker:
        window.ask()
    return blocker.args[0]


def ask_expecting_failure(qtbot, window, question: str, passage: str | None = None) -> str:
    """Ask and return the message the window shows for the failure."""
    if passage is not None:
        window.set_passage(passage)
    window.question.setText(question)
    with qtbot.waitSignal(window.askFailed, timeout=ANSWER_TIMEOUT_MS) as blocker:
        window.ask()
    return blocker.args[0]
