"""The buttons a "this model does not read this language" banner offers: the installed model
that reads it, or, when none is installed, the ways to get one."""

from __future__ import annotations

from typing import Callable

from qa_desktop.engine import model_store
from qa_desktop.engine.language_coverage import HOW_TO_GET_ONE

Action = tuple[str, Callable[[], None]]


def is_coverage_warning(warning: str) -> bool:
    """Whether an answer's warning is language_coverage's (it names the unread script)."""
    return " does not read " in warning and " script " in warning


def coverage_actions(window, warning: str) -> list[Action] | None:
    """The buttons for `warning` in `window`'s banner, or None for other warnings."""
    if not is_coverage_warning(warning):
        return None
    if HOW_TO_GET_ONE not in warning and model_store.multilingual_model() is not None:
        return [("Use the multilingual model", lambda: window.choose_model("multilingual"))]
    return [("Open model directory…", window.choose_model_directory), ("Import…", window.choose_import)]
