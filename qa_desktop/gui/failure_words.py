"""The one place an operation's failure becomes words in the window.

Errors a user can cause keep the engine's message; a missing model gets the window's own
words (its menus are the fix); anything else is a bug: a short message, the traceback on stderr.
"""

from __future__ import annotations

import sys
import traceback

from qa_desktop.engine.errors import NoModelInstalled, QaDesktopError

NO_MODEL_MESSAGE = ("No model loaded: open a model directory (Model ▸ Open model directory…) or import "
                    "a Hugging Face checkpoint. qa-desktop has no bundled model installed.")


def failure_message(exc: BaseException, context: str) -> str:
    """`context` names the operation ("Answering", "Opening notes.txt")."""
    if isinstance(exc, NoModelInstalled):
        return NO_MODEL_MESSAGE
    if isinstance(exc, QaDesktopError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"{context} ran out of memory. Try a shorter passage or close other programs."
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    detail = " ".join(str(exc).split())[:200]
    return (f"{context} failed unexpectedly ({type(exc).__name__}: {detail}). The details were "
            "written to the log (stderr); your passage and question are kept.")
