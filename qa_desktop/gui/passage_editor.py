"""The passage: a plain-text editor that shows highlights without touching the text.

Highlights are extra selections (the answer, a token picked in the plot, the user's true
answer), so they never enter the undo history and the user's own selection stays theirs.
All positions here are Qt positions (UTF-16 units); callers convert engine offsets with
Utf16Offsets. A dropped file is offered to the window instead of being pasted as a URL.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

from qa_desktop.gui.color_theme import ColorTheme, current_theme

# Drawing order: later layers paint over earlier ones.
LAYERS = ("token", "gold", "answer")


def local_files(mime: QMimeData) -> list[Path]:
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class PassageEditor(QPlainTextEdit):
    fileDropped = Signal(Path)
    markRequested = Signal()  # "Mark the true answer" from the context menu (the selection is the answer)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("PassageEditor")
        self.setPlaceholderText(
            "Paste or type a passage, open a .txt, .md or .pdf file, or drop one here.")
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabChangesFocus(True)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF(), 10.5))
        self.setFont(font)
        self._theme = current_theme()
        self._spans: dict[str, tuple[int, int] | None] = {name: None for name in LAYERS}

    # -- context menu ------------------------------------------------------------------------
    def context_menu(self):
        """The standard editing menu plus "Mark the true answer" for the selected text."""
        menu = self.createStandardContextMenu()
        menu.addSeparator()
        mark = menu.addAction("Mark the true answer")
        mark.setObjectName("MarkTrueAnswer")
        mark.setToolTip("Show the model's loss for the selected text as the answer (Inspector tab)")
        mark.setEnabled(self.selected_span() is not None)
        mark.triggered.connect(self.markRequested)
        return menu

    def contextMenuEvent(self, event) -> None:
        menu = self.context_menu()
        menu.exec(event.globalPos())
        menu.deleteLater()

    # -- text --------------------------------------------------------------------------------
    def replace_text(self, text: str) -> None:
        """Replace the whole passage as one undoable edit (Ctrl+Z brings the old one back)."""
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def character_count(self) -> int:
        # QTextDocument counts a final paragraph separator; O(1), safe on every keystroke.
        return max(0, self.document().characterCount() - 1)

    def selected_span(self) -> tuple[int, int] | None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        return cursor.selectionStart(), cursor.selectionEnd()

    # -- highlights ----------------------------------------------------------------------------
    def set_highlight(self, layer: str, span: tuple[int, int] | None, scroll: bool = False) -> None:
        self._spans[layer] = span if span and span[1] > span[0] else None
        self._apply_highlights()
        if scroll and self._spans[layer]:
            self.scroll_to(span[0], span[1])

    def highlight(self, layer: str) -> tuple[int, int] | None:
        return self._spans[layer]

    def highlighted_text(self, layer: str) -> str | None:
        span = self._spans[layer]
        if span is None:
            return None
        cursor = QTextCursor(self.document())
        cursor.setPosition(span[0])
        cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n")

    def clear_highlights(self) -> None:
        for name in LAYERS:
            self._spans[name] = None
        self._apply_highlights()

    def scroll_to(self, start: int, end: int) -> None:
        """Bring [start, end) into view, centred, without selecting it."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(min(end, max(0, self.character_count())))
        self.setTextCursor(cursor)
        cursor.setPosition(start)
        self.setTextCursor(cursor)
        self.centerCursor()

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self._apply_highlights()

    def _format(self, layer: str) -> QTextCharFormat:
        t = self._theme
        fmt = QTextCharFormat()
        if layer == "answer":
            fmt.setBackground(QColor(t.answer))
            fmt.setForeground(QColor(t.answer_text))
            fmt.setFontWeight(QFont.Weight.DemiBold)
        elif layer == "gold":
            fmt.setBackground(QColor(t.gold))
            fmt.setForeground(QColor(t.answer_text))
        else:
            fmt.setBackground(QColor(t.token))
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
        fmt.setProperty(QTextFormat.Property.FullWidthSelection, False)
        return fmt

    def _apply_highlights(self) -> None:
        selections = []
        limit = self.character_count()
        for layer in LAYERS:
            span = self._spans[layer]
            if span is None:
                continue
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.document())
            cursor.setPosition(min(span[0], limit))
            cursor.setPosition(min(span[1], limit), QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selection.format = self._format(layer)
            selections.append(selection)
        self.setExtraSelections(selections)

    # -- dropping files ------------------------------------------------------------------------
    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(local_files(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        files = local_files(source)
        if files:
            self.fileDropped.emit(files[0])
            return
        super().insertFromMimeData(source)

    def dragEnterEvent(self, event) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
            return
        super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        files = local_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.fileDropped.emit(files[0])
            return
        super().dropEvent(event)
