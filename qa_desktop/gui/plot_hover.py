"""Hovering and clicking the probability plot: the point under the cursor is read out beside it
(and the read-out leaves with the mouse); a click picks the point's tokens."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt


def _display_token(text: str) -> str:
    return text.replace("\n", "⏎").replace("\t", "⇥")


class PlotHover:
    """Mixed into ProbabilityPlot (which has answer, view_box, hover_line, hover_label, the word
    view and tokensPicked)."""

    # -- hover and click ------------------------------------------------------------------------
    def index_at(self, x: float) -> int | None:
        n = self.point_count()
        if n == 0:
            return None
        i = int(round(x))
        return i if 0 <= i < n else None

    def hover_text(self, index: int) -> str:
        """What hovering point `index` (token, or word in the word view) reads out."""
        a = self.answer
        if self.word_view:
            w = a.words
            first, last = int(w.first_token[index]), int(w.last_token[index])
            text = a.prediction.passage[int(w.char_start[index]):int(w.char_end[index])]
            pieces = last - first + 1
            return (f"word {index}: “{_display_token(text)}” ({pieces} piece{'s' if pieces != 1 else ''}, "
                    f"tokens {first}–{last})\nstart {w.start_prob[index]:.4g} · end {w.end_prob[index]:.4g}"
                    f"\nchars {int(w.char_start[index])}–{int(w.char_end[index])}")
        token = a.prediction.tokens[index]
        text = a.prediction.passage[token.start:token.end]
        return (f"token {index}: {_display_token(token.text)}  “{_display_token(text)}”\n"
                f"start {token.start_prob:.4g} · end {token.end_prob:.4g}\n"
                f"logits {token.start_logit:.2f} / {token.end_logit:.2f} · window {token.window + 1} · "
                f"chars {token.start}–{token.end}")

    def point_text(self, index: int) -> str:
        """The text of point `index`: the token's characters, or the word's."""
        a = self.answer
        if self.word_view:
            w = a.words
            return a.prediction.passage[int(w.char_start[index]):int(w.char_end[index])]
        t = a.prediction.tokens
        return a.prediction.passage[int(t.start[index]):int(t.end[index])] or t.text[index]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.hide_hover()
        return False

    def hide_hover(self) -> None:
        self.hover_line.hide()
        self.hover_label.hide()

    def _mouse_moved(self, event) -> None:
        self.hover_at(event[0])

    def hover_at(self, pos) -> None:
        """Read out the point under scene position `pos`, the label beside the cursor."""
        if self.answer is None or not self.view_box.sceneBoundingRect().contains(pos):
            self.hide_hover()
            return
        point = self.view_box.mapSceneToView(pos)
        index = self.index_at(point.x())
        if index is None:
            self.hide_hover()
            return
        self.hover_line.setPos(index)
        self.hover_line.show()
        t = self._theme
        self.hover_label.setHtml(
            f"<div style='color:{t.foreground}'>{html.escape(self.hover_text(index)).replace(chr(10), '<br>')}</div>")
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        # Beside the cursor, kept inside the plot: to the left of it in the right half, below
        # it in the upper half.
        self.hover_label.setAnchor((1 if point.x() > (x0 + x1) / 2 else 0, 0 if point.y() > (y0 + y1) / 2 else 1))
        self.hover_label.setPos(point.x(), point.y())
        self.hover_label.show()

    def _mouse_clicked(self, event) -> None:
        if self.answer is None or event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.scenePos()
        if not self.view_box.sceneBoundingRect().contains(pos):
            return
        index = self.index_at(self.view_box.mapSceneToView(pos).x())
        if index is not None:
            self.pick(index)

    def pick(self, index: int) -> None:
        """Act as if point `index` was clicked."""
        if self.word_view:
            first = int(self.answer.words.first_token[index])
            last = int(self.answer.words.last_token[index])
        else:
            first = last = index
        self.show_selection(first, last)
        self.tokensPicked.emit(first, last)

