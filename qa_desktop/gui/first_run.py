"""What a first-time user is offered: the examples (one click loads a sample passage and asks
its question) and Help's short guide to what each tab shows. Attached to the window as
`window.first_run`; the Help menu's entries call it."""

from __future__ import annotations

from qa_desktop.gui.sample_passage import Sample


class FirstRun:
    def __init__(self, window):
        self.window = window
        window.examples.chosen.connect(self.try_example)

    def try_example(self, sample: Sample, question: str) -> None:
        """Load the sample passage (undoable), put its question in and ask."""
        w = self.window
        w.set_passage(sample.passage)
        w.question.setText(question)
        w.statusBar().showMessage("Also try: " + " · ".join(q for q in sample.questions if q != question), 15_000)
        w.ask()

    def show_examples(self) -> None:
        """Help → Try an example: the offer, even over a passage (loading one is undoable)."""
        self.window.examples.show()

    def show_guide(self) -> None:
        from PySide6.QtCore import Qt  # the guide is built when asked for, after the first paint
        from PySide6.QtWidgets import QMessageBox

        from qa_desktop.gui.tab_guide import GUIDE_HTML, GUIDE_TITLE

        box = QMessageBox(self.window)
        box.setWindowTitle(GUIDE_TITLE)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(GUIDE_HTML)
        box.setObjectName("TabGuide")
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.open()
        self.guide = box
