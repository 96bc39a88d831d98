"""Driving the window from tests: ask and wait for the answer (or the failure message)."""

from __future__ import annotations

ANSWER_TIMEOUT_MS = 60_000


def _ask_and_wait(qtbot, window, signal, question: str, passage: str | None):
    if passage is not None:
        window.set_passage(passage)
    window.question.setText(question)
    with qtbot.waitSignal(signal, timeout=ANSWER_TIMEOUT_MS) as blocker:
        window.ask()
    return blocker.args[0]


def ask(qtbot, window, question: str, passage: str | None = None):
    """Ask through the window and return the PreparedAnswer it shows."""
    return _ask_and_wait(qtbot, window, window.answerShown, question, passage)


def ask_expecting_failure(qtbot, window, question: str, passage: str | None = None) -> str:
    """Ask and return the message the window shows for the failure."""
    return _ask_and_wait(qtbot, window, window.askFailed, question, passage)
