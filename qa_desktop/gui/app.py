"""Starting the window: `run_gui` is what `qa-desktop` (the CLI) calls.

With `screenshot`, the real window opens on the built-in sample (or the given file and
question), answers, saves a PNG of the whole window and exits: a way to look at the app
without a person (works with QT_QPA_PLATFORM=offscreen and under Xvfb).
"""

from __future__ import annotations

import importlib.resources
import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

APP_NAME = "qa-desktop"
SCREENSHOT_SIZE = (1440, 900)
SCREENSHOT_TIMEOUT_MS = 180_000
SETTLE_MS = 400  # after the answer arrives: let layouts and plots paint before grabbing
DEFAULT_FILE_QUESTION = "What is this passage about?"


def application_icon() -> QIcon | None:
    """The icon in qa_desktop.resources, when one is installed there (optional)."""
    try:
        root = importlib.resources.files("qa_desktop.resources")
        for name in ("icons/qa-desktop.svg", "icons/qa-desktop.png"):
            candidate = root / name
            if candidate.is_file():
                icon = QIcon(str(candidate))
                return None if icon.isNull() else icon
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        pass
    return None


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_NAME)
    icon = application_icon()
    if icon is not None:
        app.setWindowIcon(icon)
    return app


def _install_excepthook(window) -> None:
    """A bug in a slot logs its traceback and shows a short message; the window stays open."""

    def hook(kind, value, tb):
        traceback.print_exception(kind, value, tb, file=sys.stderr)
        try:
            window.show_error(f"Something went wrong ({kind.__name__}: {' '.join(str(value).split())[:200]}). "
                              "The details were written to the log; your passage and question are kept.")
        except Exception:  # noqa: BLE001 - the window itself may be gone
            pass

    sys.excepthook = hook


def run_gui(model: str | None = None, screenshot: str | None = None, file: str | None = None,
            question: str | None = None, device: str = "auto") -> int:
    from qa_desktop.gui.background_operation import wait_for_all
    from qa_desktop.gui.main_window import MainWindow

    app = application()
    # "auto" is the CLI's default: then the device chosen in the window (persisted) applies.
    chosen_device = None if device == "auto" else device
    if screenshot:
        return _run_screenshot(app, model, Path(screenshot), file, question, chosen_device)

    window = MainWindow(model=model, device=chosen_device)
    _install_excepthook(window)
    window.show()
    if file:
        if question:
            window.question.setText(question)
            window.passageOpened.connect(lambda _doc: window.ask())
        window.open_file(file)
    elif question:
        window.question.setText(question)
    code = app.exec()
    wait_for_all(5_000)
    return int(code)


def _run_screenshot(app: QApplication, model: str | None, out: Path, file: str | None,
                    question: str | None, device: str | None) -> int:
    from qa_desktop.engine.errors import QaDesktopError
    from qa_desktop.gui.background_operation import wait_for_all
    from qa_desktop.engine.document_reader import read_document
    from qa_desktop.gui.main_window import MainWindow
    from qa_desktop.gui.sample_passage import SAMPLE_PASSAGE, SAMPLE_QUESTION

    if file:
        try:
            passage = read_document(file).text
        except QaDesktopError as exc:
            print(f"qa-desktop: {exc}", file=sys.stderr)
            return 2
        question = question or DEFAULT_FILE_QUESTION
    else:
        passage = SAMPLE_PASSAGE
        question = question or SAMPLE_QUESTION

    window = MainWindow(model=model, device=device, persist=False, restore_draft=False)
    _install_excepthook(window)
    window.resize(*SCREENSHOT_SIZE)
    window.main_split.setSizes([SCREENSHOT_SIZE[1] * 55 // 100, SCREENSHOT_SIZE[1] * 45 // 100])
    window.show()
    window.set_passage(passage)
    window.question.setText(question)
    result = {"code": None}

    def save_and_quit(code: int) -> None:
        if result["code"] is not None:
            return
        result["code"] = code

        def grab() -> None:
            out.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(out), "PNG"):
                print(f"qa-desktop: could not write the screenshot {out}", file=sys.stderr)
                result["code"] = 4
            else:
                print(f"qa-desktop: screenshot saved to {out}", file=sys.stderr)
            app.exit(result["code"])

        QTimer.singleShot(SETTLE_MS, grab)

    def failed(message: str) -> None:
        print(f"qa-desktop: {message}", file=sys.stderr)
        save_and_quit(1)

    window.answerShown.connect(lambda _answer: save_and_quit(0))
    window.askFailed.connect(failed)
    QTimer.singleShot(0, window.ask)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: failed("timed out waiting for the answer"))
    app.exec()
    window.cancel_running()
    wait_for_all(5_000)
    window.close()
    return int(result["code"] if result["code"] is not None else 1)
