"""Which words moved the answer, shown two ways: a sorted list (largest drop first) and a heat
overlay on the question or passage text (`heat_html`), warm where masking the word lowered the
answer's score, cool where it raised it."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

from qa_desktop.engine.occlusion import PASSAGE, WordOcclusion
from qa_desktop.gui.color_theme import ColorTheme, current_theme

COLUMNS = ("Drop", "Where", "Word")


def heat_colour(drop: float, limit: float, theme: ColorTheme) -> QColor:
    """Background for a word: the end colour for drops, the start colour for rises, alpha by size."""
    colour = QColor(theme.end if drop >= 0 else theme.start)
    strength = min(1.0, abs(drop) / limit) if limit > 0 else 0.0
    colour.setAlphaF(0.75 * strength)
    return colour


def heat_html(text: str, occlusion: WordOcclusion, side: int, theme: ColorTheme | None = None) -> str:
    """`text` (the question or the passage) as HTML with each occluded word of `side` shaded by
    its drop; characters outside the answer's window stay plain."""
    theme = theme or current_theme()
    plan = occlusion.plan
    chosen = np.flatnonzero(plan.side == side)
    chosen = chosen[np.argsort(plan.char_start[chosen], kind="stable")]
    limit = float(np.abs(occlusion.drop).max()) if occlusion.drop.size else 0.0
    parts, cursor = [], 0
    for i in chosen:
        start, end = int(plan.char_start[i]), int(plan.char_end[i])
        if start < cursor:
            continue
        parts.append(html.escape(text[cursor:start]))
        colour = heat_colour(float(occlusion.drop[i]), limit, theme)
        rgba = f"rgba({colour.red()},{colour.green()},{colour.blue()},{colour.alphaF():.2f})"
        parts.append(f'<span style="background-color:{rgba}" title="drop {occlusion.drop[i]:+.3f}">'
                     f"{html.escape(text[start:end])}</span>")
        cursor = end
    parts.append(html.escape(text[cursor:]))
    return "".join(parts).replace("\n", "<br>")


class OcclusionWordList(QTableWidget):
    """The words of the answer's window, largest score drop first."""

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self._theme = current_theme()
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setStretchLastSection(True)
        self._order = np.zeros(0, dtype=np.int64)

    def set_occlusion(self, occlusion: WordOcclusion) -> None:
        self._order = occlusion.ranked()
        limit = float(np.abs(occlusion.drop).max()) if occlusion.drop.size else 0.0
        self.setRowCount(len(self._order))
        for row, i in enumerate(self._order):
            drop = float(occlusion.drop[i])
            cells = (f"{drop:+.3f}", "passage" if occlusion.side[i] == PASSAGE else "question", occlusion.texts[i])
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    item.setBackground(heat_colour(drop, limit, self._theme))
                self.setItem(row, col, item)

    def word_at_row(self, row: int) -> int:
        """The word index (into the WordOcclusion's columns) shown in `row`."""
        return int(self._order[row])
